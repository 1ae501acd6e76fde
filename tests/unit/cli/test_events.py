"""mhub events: event types, topics and readers from the routing code; the doc is its output."""

from __future__ import annotations

from pathlib import Path

from hub.cli.events import event_table, markdown_row
from hub.config import Settings
from hub.model.record_types import FAMILY_OF

DOC = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_every_record_type_has_one_event_type_and_topic() -> None:
    rows = event_table(Settings())
    covered = {r for row in rows for r in row.record_types}
    assert covered == set(FAMILY_OF)
    by_type = {row.event_type: row for row in rows}
    assert by_type["border.border-crossing"].topic == "mhub.events.border"
    assert by_type["border.border-crossing"].readers == ("mvd",)
    assert by_type["residence.residence-permit"].readers == ("mvd", "enbek")
    assert "border.crossing" not in by_type


def test_the_doc_lists_exactly_the_table() -> None:
    doc = DOC.read_text()
    for row in event_table(Settings()):
        assert markdown_row(row) in doc
    rows = [line for line in doc.splitlines() if line.startswith("| `")]
    assert len(rows) == len(event_table(Settings()))
