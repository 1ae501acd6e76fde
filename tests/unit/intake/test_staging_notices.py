"""Connector notices (a damaged or unreadable file) travel through staging to the run."""

from __future__ import annotations

from pathlib import Path

from connectors.base import Page, RawRecord
from hub.intake import staging
from hub.ops.run_summary import SourceRunSummary


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
