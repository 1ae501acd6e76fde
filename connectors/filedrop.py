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
  A file that does not parse may still be growing: it waits, and only after
  ``give_up_s`` is it passed on whole so the validate stage quarantines it
  (never dropped silently). A hostile file (DTD, entities) is passed on whole
  at once.

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
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.base import Page, Position, RawRecord, SourceConnector, Window
from connectors.errors import MalformedDocument, SourceUnavailable
from connectors.xmlstream import NotAnEnvelope, guess_record_id, iter_children

# Upload tools write under these suffixes and rename when done.
IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".partial", ".filepart", ".uploading")
# An SFTP upload of a batch takes seconds; a file untouched this long is not being written.
SETTLE_S = 2.0
# An unparseable file this old is not an upload in progress but a broken file: pass it on.
GIVE_UP_S = 600.0
# Read size for hashing and parsing: large enough for throughput, small for memory.
CHUNK_BYTES = 256 * 1024
# A broken file handed on whole is cut here; the validate stage then says xml.too-large.
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
        give_up_s: float = GIVE_UP_S,
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
        self.give_up_s = give_up_s
        self._clock = clock
        self._seen_stat: dict[str, tuple[int, int]] = {}  # name -> (size, mtime_ns) last poll
        self._checked: dict[str, str] = {}  # name -> digest known to parse completely

    def poll(self, position: Position | None) -> Page:
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
            if not self._stable(path):
                continue
            before = path.stat()
            digest = file_digest(path)
            if done.get(name) == digest:
                continue
            after = path.stat()
            if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
                continue  # grew while we hashed it
            if self._checked.get(name) == digest:
                return path, digest, None
            try:
                for _ in iter_children(_chunks(path), envelope=self.envelope):
                    pass
            except NotAnEnvelope:
                return path, digest, self._whole(path, digest)  # a single record document
            except MalformedDocument as exc:
                if exc.rule == "xml.malformed" and self._clock() - after.st_mtime < self.give_up_s:
                    continue  # maybe still being uploaded under its final name: wait
                return path, digest, self._whole(path, digest)
            self._checked[name] = digest
            return path, digest, None
        return None

    def _whole(self, path: Path, digest: str) -> RawRecord:
        with path.open("rb") as fh:
            body = fh.read(MAX_WHOLE_FILE_BYTES + 1)
        rid = guess_record_id(body) or f"file:{path.name}"
        return RawRecord(self.source, rid, body, origin=f"file:{path.name}@{digest}")

    def _read(self, path: Path, offset: int) -> tuple[list[RawRecord], bool]:
        records: list[RawRecord] = []
        for n, rec in enumerate(iter_children(_chunks(path), envelope=self.envelope)):
            if n < offset:
                continue
            if len(records) == self.page_size:
                return records, False
            records.append(
                RawRecord(self.source, rec.record_id, rec.body, origin=f"file:{path.name}#{n}")
            )
        return records, True
