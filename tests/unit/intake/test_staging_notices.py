"""Connector notices (a damaged or unreadable file) travel through staging to the run."""

from __future__ import annotations

from pathlib import Path

from connectors.base import Page, RawRecord
from hub.intake import staging
from hub.runs.summary import SourceRunSummary


def test_notices_survive_staging(tmp_path: Path) -> None:
    pages = [
        Page([RawRecord("labour", "r1", b"<r/>")], {"p": 1}, notices=("file x.xml is damaged",)),
        Page([], {"p": 2}, exhausted=True),
    ]
    ref = staging.write_pages(tmp_path, pages, {"source": "labour"})
    back = list(staging.read_pages(ref))
    assert [p.notices for p in back] == [("file x.xml is damaged",), ()]


def test_run_summary_lists_notices() -> None:
    summary = SourceRunSummary(source="labour")
    summary.notices.append("file x.xml cannot be read")
    assert summary.to_dict()["notices"] == ["file x.xml cannot be read"]


def test_staged_bytes_survive_and_earlier_files_still_read(tmp_path: Path) -> None:
    """Bodies in any encoding come back byte for byte; a file written by the earlier
    writer (json.dumps over base64 bodies) reads the same as the new writer's."""
    import base64
    import json

    body = "<r>Жанар &amp; ß</r>".encode("utf-16") + b"\x00\xff"
    raw = RawRecord("interior", "r1", body, origin="page-7")
    ref = staging.write_pages(tmp_path / "new", [Page([raw], {"offset": 1})], {})
    (new,) = list(staging.read_pages(ref))
    old = tmp_path / "old.jsonl"
    line = {"position": {"offset": 1}, "notices": [], "records": [{
        "source": raw.source, "record_id": raw.record_id, "origin": raw.origin,
        "body": base64.b64encode(body).decode(), "digest": raw.digest}]}
    old.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    (earlier,) = list(staging.read_pages({"path": str(old)}))
    for page in (new, earlier):
        assert page.records == [raw]
        assert page.position == {"offset": 1}
    assert json.loads(Path(ref["path"]).read_text())["records"][0]["body"] == (
        base64.b64encode(body).decode()
    )
