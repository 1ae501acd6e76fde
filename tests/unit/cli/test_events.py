"""mhub events: the event types and topics, from the routing code; the doc is its output."""

from __future__ import annotations

from pathlib import Path

from hub.cli.events import event_table
from hub.config import Settings
from hub.model.families import FAMILY_OF

DOC = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_every_record_type_has_one_event_type_and_topic() -> None:
    rows = event_table(Settings())
    covered = {r for _etype, _topic, records in rows for r in records}
    assert covered == set(FAMILY_OF)
    by_type = {etype: topic for etype, topic, _ in rows}
    assert by_type["border.border-crossing"] == "mhub.events.border"
    assert "border.crossing" not in by_type


def test_the_doc_lists_exactly_the_table() -> None:
    doc = DOC.read_text()
    for etype, topic, records in event_table(Settings()):
        assert f"| `{etype}` | `{topic}` | {', '.join(records)} |" in doc
    rows = [line for line in doc.splitlines() if line.startswith("| `")]
    assert len(rows) == len(event_table(Settings()))
