"""Staged batches: how Airflow tasks hand records to each other without XCom.

A stage writes its output to a JSON-lines file under ``var/staging/<source>/<run>``
and returns a small reference (path, count, stage) that travels through XCom.
Raw bytes are base64 so that a document in a hostile encoding survives intact.
Files are written to a temporary name and renamed, so a reference never points
at half a batch.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from connectors.base import RawRecord

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


def write_batch(
    folder: Path, stage: str, items: Iterable[dict[str, Any]], meta: dict[str, Any]
) -> StagedRef:
    """Write items as JSON lines; return the reference the next task receives."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stage}.jsonl"
    tmp = path.with_suffix(".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            count += 1
    os.replace(tmp, path)
    return {**meta, "stage": stage, "path": str(path), "count": count}


def read_batch(ref: StagedRef) -> Iterator[dict[str, Any]]:
    with Path(ref["path"]).open(encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)
