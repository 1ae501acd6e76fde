"""A file-drop directory of XML batch files (SFTP-style), read as a source.

A file is consumed only when it is complete:

- naming: only ``*.xml``; upload names (``.part``, ``.tmp``, ``.partial``,
  ``.filepart``) and hidden files are not looked at;
- stability: its size and mtime did not change while it was read, it is at
  least ``settle_s`` old, and (within one connector) it looked the same on the
  previous poll;
- well-formedness: the whole file parses before its first record is emitted.
  A ``<Batch>`` is split into its records; a file whose root is anything else
  is one record by itself.

A *damaged* file (settled, i.e. untouched for ``settle_s``, yet not well formed:
truncated, cut mid-record, garbage appended) is handled at once, never after a
silent wait: its complete records go on as usual, and only the broken part from
the end of the last complete record is handed on as one record of its own
(record id: the broken record's ``recordId`` if its start tag survived, else
``file:NAME#N``), so the validate stage quarantines just that part. A file that
cannot be read at all (permissions, I/O error) is skipped and retried on the
next poll. Both are reported at once as page ``notices``, which the run's
summary lists. A hostile file (DTD, entities) is passed on whole at once. If
the agency later completes or re-sends the file, its new digest makes it be
read again; downstream dedup counts the records already published as replays.

Window (backfill): only files whose modification time (the time the agency
dropped them) lies in the window's ``(start, end]`` are read.

Position::

    {"done": {"NAME.xml": "sha256:..."},                # files fully emitted
     "current": {"name", "digest", "offset"} | null}    # file being paged

A file already in ``done`` with the same digest is skipped; the same name with
a new digest (the agency re-sent a corrected batch) is read again. Entries for
files no longer in the directory are pruned, so the position stays small.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.base import Page, Position, RawRecord, SourceConnector, Window
from connectors.errors import MalformedDocument, SourceUnavailable
from connectors.xmlstream import NotAnEnvelope, RecordBytes, guess_record_id, iter_children

# Re-parsing a record the stream already cut out (well formed, no DTD): hardened anyway.
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

# Upload tools write under these suffixes and rename when done.
IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".partial", ".filepart", ".uploading")
# An SFTP upload of a batch takes seconds; a file untouched this long is not being written.
SETTLE_S = 2.0
# Read size for hashing and parsing: large enough for throughput, small for memory.
CHUNK_BYTES = 256 * 1024
# A broken file (or broken part) handed on is cut here; the validate stage then says
# xml.too-large. Also bounds how far back from the end the broken part is looked for.
MAX_WHOLE_FILE_BYTES = 32 * 1024 * 1024
DEFAULT_PAGE_SIZE = 500


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            yield chunk


class FileDropConnector(SourceConnector):
    family = "labour"

    def __init__(
        self,
        source: str,
        directory: str | Path,
        *,
        pattern: str = "*.xml",
        envelope: str = "Batch",
        page_size: int = DEFAULT_PAGE_SIZE,
        settle_s: float = SETTLE_S,
        clock: Any = time.time,
        window: Window | None = None,
    ) -> None:
        super().__init__(source)
        self.window = window
        self.directory = Path(directory)
        self.pattern = pattern
        self.envelope = envelope
        self.page_size = page_size
        self.settle_s = settle_s
        self._clock = clock
        self._seen_stat: dict[str, tuple[int, int]] = {}  # name -> (size, mtime_ns) last poll
        self._checked: dict[str, str] = {}  # name -> digest known to parse completely
        self._damaged: dict[str, str] = {}  # name -> digest of a settled file that does not parse
        self._notices: list[str] = []  # problems met during this poll, reported with the page

    def poll(self, position: Position | None) -> Page:
        self._notices = []
        page = self._poll(position)
        return Page(page.records, page.position, page.exhausted, tuple(self._notices))

    def _poll(self, position: Position | None) -> Page:
        pos = dict(position or {})
        done: dict[str, str] = dict(pos.get("done") or {})
        current: dict[str, Any] | None = pos.get("current")
        if not self.directory.is_dir():
            raise SourceUnavailable(
                "drop directory is missing", source=self.source, page=str(self.directory)
            )
        present = {p.name: p for p in self._candidates()}
        done = {n: d for n, d in done.items() if n in present}  # prune vanished files
        if current is not None:
            path = present.get(current["name"])
            if path is None or not self._stable(path) or file_digest(path) != current["digest"]:
                current = None  # gone or rewritten: start over with whatever is there now
        if current is None:
            picked = self._next_ready(present, done)
            if picked is None:
                return Page([], {"done": done, "current": None}, exhausted=True)
            path, digest, whole = picked
            if whole is not None:  # hostile or broken: handed on whole, once
                done[path.name] = digest
                return Page([whole], {"done": done, "current": None}, exhausted=False)
            current = {"name": path.name, "digest": digest, "offset": 0}
        path = present[current["name"]]
        records, finished = self._read(path, current["offset"])
        if finished:
            done[current["name"]] = current["digest"]
            new_pos = {"done": done, "current": None}
        else:
            new_pos = {
                "done": done,
                "current": {**current, "offset": current["offset"] + len(records)},
            }
        return Page(records, new_pos, exhausted=False)

    # --- file selection ---------------------------------------------------------

    def _candidates(self) -> list[Path]:
        out = []
        for p in sorted(self.directory.glob(self.pattern)):
            name = p.name
            if name.startswith(".") or name.endswith(IN_PROGRESS_SUFFIXES) or not p.is_file():
                continue
            if self.window is not None and not self.window.contains(
                datetime.fromtimestamp(p.stat().st_mtime, UTC)
            ):
                continue
            out.append(p)
        return out

    def _stable(self, path: Path) -> bool:
        st = path.stat()
        now = self._clock()
        sig = (st.st_size, st.st_mtime_ns)
        previous = self._seen_stat.get(path.name)
        self._seen_stat[path.name] = sig
        if previous is not None and previous != sig:
            return False  # changed since the last poll: still being written
        return now - st.st_mtime >= self.settle_s


    def _next_ready(
        self, present: dict[str, Path], done: dict[str, str]
    ) -> tuple[Path, str, RawRecord | None] | None:
        for name, path in present.items():
            try:
                picked = self._check(name, path, done)
            except OSError as exc:
                self._notices.append(
                    f"file {name} cannot be read ({exc.strerror or exc}); skipped, retried "
                    "on the next poll"
                )
                continue
            if picked is not None:
                return picked
        return None

    def _check(
        self, name: str, path: Path, done: dict[str, str]
    ) -> tuple[Path, str, RawRecord | None] | None:
        """``path`` ready to read (or to hand on whole), or None to leave it for now."""
        if not self._stable(path):
            return None
        before = path.stat()
        digest = file_digest(path)
        if done.get(name) == digest:
            return None
        after = path.stat()
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
            return None  # grew while we hashed it
        if digest in (self._checked.get(name), self._damaged.get(name)):
            return path, digest, None
        try:
            for _ in iter_children(_chunks(path), envelope=self.envelope):
                pass
        except NotAnEnvelope:
            return path, digest, self._whole(path, digest)  # a single record document
        except MalformedDocument as exc:
            if exc.rule != "xml.malformed":
                return path, digest, self._whole(path, digest)  # hostile: whole, at once
            # Settled (untouched for settle_s) yet not well formed: damaged, not uploading.
            self._damaged[name] = digest  # complete records go on; the broken part apart
            return path, digest, None
        self._checked[name] = digest
        return path, digest, None

    def _whole(self, path: Path, digest: str) -> RawRecord:
        with path.open("rb") as fh:
            body = fh.read(MAX_WHOLE_FILE_BYTES + 1)
        rid = guess_record_id(body) or f"file:{path.name}"
        return RawRecord(self.source, rid, body, origin=f"file:{path.name}@{digest}")

    def _read(self, path: Path, offset: int) -> tuple[list[RawRecord], bool]:
        records: list[RawRecord] = []
        complete = 0
        last: RecordBytes | None = None
        try:
            for n, rec in enumerate(iter_children(_chunks(path), envelope=self.envelope)):
                complete, last = n + 1, rec
                if n < offset:
                    continue
                if len(records) == self.page_size:
                    return records, False
                records.append(
                    RawRecord(self.source, rec.record_id, rec.body, origin=f"file:{path.name}#{n}")
                )
        except MalformedDocument as exc:
            if complete < offset:  # the broken part went out on an earlier page
                return records, True
            if len(records) == self.page_size:
                return records, False
            broken = self._broken_part(path, complete, last)
            records.append(broken)
            self._notices.append(
                f"file {path.name} is damaged ({exc}): its {complete} complete record(s) go on, "
                f"the broken part after them is quarantined as record {broken.record_id}"
            )
        return records, True

    def _broken_part(self, path: Path, index: int, last: RecordBytes | None) -> RawRecord:
        """The bytes after the last complete record (all of them when none is complete)."""
        size = path.stat().st_size
        start = max(0, size - MAX_WHOLE_FILE_BYTES)
        with path.open("rb") as fh:
            fh.seek(start)
            data = fh.read(MAX_WHOLE_FILE_BYTES)
        cut = _end_of(data, last) if last is not None else 0
        body = data[cut:] if cut >= 0 else data
        rid = guess_record_id(body) or f"file:{path.name}#{index}"
        return RawRecord(self.source, rid, body, origin=f"file:{path.name}#{index}")


def _end_of(data: bytes, record: RecordBytes) -> int:
    """Where ``record`` (a complete record of the file) ends in the raw bytes, or -1."""
    if not record.record_id:
        return -1
    rid = re.escape(record.record_id.encode())
    starts = list(re.finditer(rb"recordId\s*=\s*[\"']" + rid + rb"[\"']", data))
    if not starts:
        return -1
    local = etree.QName(etree.fromstring(record.body, _SAFE)).localname.encode()
    end = re.compile(rb"</(?:[\w.-]+:)?" + re.escape(local) + rb"\s*>")
    m = end.search(data, starts[-1].end())
    return m.end() if m else -1
