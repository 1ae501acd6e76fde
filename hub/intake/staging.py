"""Staged pages: how the Airflow ``extract`` task hands raw pages to ``intake``.

``extract`` writes the pages it pulled to a JSON-lines file under
``var/staging/<source>/<run>`` (one line per page: its raw records and the
position after it) and returns a small reference (path, pages, records) that
travels through XCom; records never do. Raw bytes are base64 so a document in
a hostile encoding survives intact. The file is written under a temporary
name and renamed, so a reference never points at half a batch; ``intake``
reads it back one page at a time, so memory stays flat whatever its size.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from connectors.base import Page, RawRecord

StagedRef = dict[str, Any]


class _StagedRaw(msgspec.Struct):
    """One line's record as written; ``body`` is base64 in the JSON (msgspec's bytes)."""

    source: str
    record_id: str
    body: bytes
    origin: str = ""
    digest: str = ""


class _StagedPage(msgspec.Struct):
    position: dict[str, Any]
    records: list[_StagedRaw]
    notices: list[str] = msgspec.field(default_factory=list)


# The same JSON lines as raw_to_dict + json.dumps wrote (base64 bodies, fields in that
# order), encoded and decoded by msgspec in C: about a fifth of the CPU per record.
_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(_StagedPage)


def _line(page: Page) -> bytes:
    records = [
        _StagedRaw(r.source, r.record_id, r.body, r.origin, r.digest) for r in page.records
    ]
    return _ENCODER.encode(_StagedPage(page.position, records, list(page.notices)))


def write_pages(folder: Path, pages: Iterable[Page], meta: dict[str, Any]) -> StagedRef:
    """Write pages as JSON lines; return the reference the next task receives."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pages.jsonl"
    tmp = path.with_suffix(".tmp")
    n_pages = n_records = 0
    try:
        with tmp.open("wb") as out:
            for page in pages:
                out.write(_line(page))
                out.write(b"\n")
                n_pages += 1
                n_records += len(page.records)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not stay full of half a batch
        raise
    os.replace(tmp, path)
    return {**meta, "path": str(path), "pages": n_pages, "records": n_records}


def read_pages(ref: StagedRef) -> Iterator[Page]:
    with Path(ref["path"]).open("rb") as f:
        for line in f:
            d = _DECODER.decode(line)
            records = [
                RawRecord(r.source, r.record_id, r.body, r.origin, r.digest) for r in d.records
            ]
            yield Page(records, d.position, notices=tuple(d.notices))
