"""The reliability table merges rows, replaces a re-run case, and escapes cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import reliability


def test_rows_merge_sorted_and_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reliability, "_rows", {})
    table = tmp_path / "reliability.md"
    reliability.record_outcome("kafka", "b case", "first")
    reliability.record_outcome("faults", "a|pipe", "ok")
    reliability.write_table(table)
    monkeypatch.setattr(reliability, "_rows", {})
    reliability.record_outcome("kafka", "b case", "second")
    reliability.write_table(table)
    rows = [r for r in table.read_text().splitlines() if r.startswith("| ") and "Area" not in r]
    assert [r.split(" | ")[:3] for r in rows] == [
        ["| faults", "a\\|pipe", "ok"],
        ["| kafka", "b case", "second"],
    ]


def test_nothing_recorded_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reliability, "_rows", {})
    assert reliability.write_table(tmp_path / "t.md") is None
    assert not (tmp_path / "t.md").exists()


def test_worker_rows_reach_the_controller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under pytest-xdist each worker's rows travel as plain lists; the controller writes."""
    monkeypatch.setattr(reliability, "_rows", {})
    reliability.record_outcome("broker", "restart", "resumed")
    sent = reliability.export_rows()
    monkeypatch.setattr(reliability, "_rows", {})
    reliability.import_rows(sent)
    table = reliability.write_table(tmp_path / "t.md")
    assert table is not None
    assert "| broker | restart | resumed |" in table.read_text()
