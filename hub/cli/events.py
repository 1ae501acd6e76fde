"""``mhub events``: every event type the hub publishes, its topic and who reads it, from the code.

The table is computed from the record-type table the stages route by
(``hub.model.record_types``, ``hub.model.families``) and the topic names
(``hub.kafka.topics``), so it cannot drift from what is published; ``--markdown``
prints it for the integrators' documentation (``docs/events.md``).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass

from hub.config import Settings, load_settings
from hub.kafka.topics import topics_for
from hub.model.families import readers_of
from hub.model.record_types import RECORD_TYPES

#: what the readers column says of a family no agency reads directly (the statistics)
NO_AGENCY = "the hub's reports"


@dataclass(frozen=True, slots=True)
class EventRow:
    event_type: str
    topic: str
    #: the record types reporting it, sorted
    record_types: list[str]
    #: the agencies' Kafka principals entitled to the topic (infra/production/kafka/acls.sh)
    readers: tuple[str, ...]


def event_table(settings: Settings | None = None) -> list[EventRow]:
    """One row per event type, sorted by topic then type."""
    topics = topics_for(settings or load_settings())
    by_type: dict[str, list[str]] = defaultdict(list)
    family = {}
    for row in RECORD_TYPES:
        by_type[row.event_type].append(row.name)
        family[row.event_type] = row.family
    rows = [
        EventRow(etype, topics.events(family[etype]), sorted(records), readers_of(family[etype]))
        for etype, records in by_type.items()
    ]
    return sorted(rows, key=lambda r: (r.topic, r.event_type))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    rows = event_table(settings)
    t = topics_for(settings)
    if args.markdown:
        print("| event type | topic | reported by record types | read by (production ACLs) |\n"
              "|---|---|---|---|")
        for r in rows:
            print(markdown_row(r))
    else:
        for r in rows:
            readers = ", ".join(r.readers) or NO_AGENCY
            print(f"{r.event_type:36} {r.topic:32} {', '.join(r.record_types):48} {readers}")
    print(f"\nbeside them: cross-agency corroborations on {t.corroborations}, signed batch "
          f"manifests on {t.batches}; signed notices: identity merges and reviews on "
          f"{t.identity}, quarantine on {t.dlq}")
    return 0


def markdown_row(row: EventRow) -> str:
    readers = ", ".join(f"`{r}`" for r in row.readers) or NO_AGENCY
    return f"| `{row.event_type}` | `{row.topic}` | {', '.join(row.record_types)} | {readers} |"
