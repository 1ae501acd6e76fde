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

import base64
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from connectors.base import Page, RawRecord

StagedRef = dict[str, Any]


def raw_to_dict(raw: RawRecord) -> dict[str, Any]:
    return {
        "source": raw.source,
        "record_id": raw.record_id,
        "body": base64.b64encode(raw.body).decode(),
        "origin": raw.origin,
        "digest": raw.digest,
    }


def raw_from_dict(d: dict[str, Any]) -> RawRecord:
    return RawRecord(
        source=d["source"],
        record_id=d["record_id"],
        body=base64.b64decode(d["body"]),
        origin=d.get("origin", ""),
        digest=d.get("digest", ""),
    )


def write_pages(folder: Path, pages: Iterable[Page], meta: dict[str, Any]) -> StagedRef:
    """Write pages as JSON lines; return the reference the next task receives."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pages.jsonl"
    tmp = path.with_suffix(".tmp")
    n_pages = n_records = 0
    try:
        with tmp.open("w", encoding="utf-8") as out:
            for page in pages:
                line = {
                    "position": page.position,
                    "records": [raw_to_dict(r) for r in page.records],
                    "notices": list(page.notices),
                }
                out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                out.write("\n")
                n_pages += 1
                n_records += len(page.records)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not stay full of half a batch
        raise
    os.replace(tmp, path)
    return {**meta, "path": str(path), "pages": n_pages, "records": n_records}


def read_pages(ref: StagedRef) -> Iterator[Page]:
    with Path(ref["path"]).open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            yield Page([raw_from_dict(r) for r in d["records"]], d["position"],
                       notices=tuple(d.get("notices", ())))
