"""The reliability table writer: rows merged with the previous file, sorted, dated."""

from __future__ import annotations

from pathlib import Path

from tests.support import reliability


class TestReliabilityTable:
    def test_rows_merge_with_the_previous_table_sorted(self, tmp_path: Path) -> None:
        path = tmp_path / "reliability.md"
        path.write_text(
            "| Area | Fault or attack | Observed outcome | Checked |\n|---|---|---|---|\n"
            "| zeta | old case | kept | 2020-01-01 |\n"
            "| broker | kill | old outcome | 2020-01-01 |\n"
        )
        saved = dict(reliability._rows)
        try:
            reliability._rows.clear()
            reliability.record_outcome("broker", "kill", "new | outcome")
            reliability.record_outcome("agency", "500s", "retried")
            assert reliability.write_report(path) == path
        finally:
            reliability._rows.clear()
            reliability._rows.update(saved)
        rows = [line for line in path.read_text().splitlines() if line.startswith("| ")]
        assert rows[0].startswith("| Area |")
        assert [r.split(" | ")[0] for r in rows[1:]] == ["| agency", "| broker", "| zeta"]
        assert "new / outcome" in rows[2] and "old outcome" not in path.read_text()
        assert "| zeta | old case | kept | 2020-01-01 |" in rows

    def test_nothing_recorded_writes_nothing(self, tmp_path: Path) -> None:
        saved = dict(reliability._rows)
        try:
            reliability._rows.clear()
            assert reliability.write_report(tmp_path / "r.md") is None
        finally:
            reliability._rows.update(saved)
        assert not (tmp_path / "r.md").exists()
