"""``mhub events``: every event type the hub publishes and the topic it goes to, from the code.

The table is computed from the routing the stages use (``hub.model.families``,
``hub.intake.identity.event_key``, ``hub.kafka.topics``), so it cannot drift from
what is published; ``--markdown`` prints it for the integrators' documentation.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from hub.config import Settings, load_settings
from hub.kafka.topics import topics_for
from hub.model.families import FAMILY_OF, event_type_of


def event_table(settings: Settings | None = None) -> list[tuple[str, str, list[str]]]:
    """(event type, topic, record types reporting it), sorted by topic then type."""
    topics = topics_for(settings or load_settings())
    by_type: dict[str, list[str]] = defaultdict(list)
    for record_type in FAMILY_OF:
        by_type[event_type_of(record_type)].append(record_type)
    rows = [
        (etype, topics.events(etype.split(".", 1)[0]), sorted(records))
        for etype, records in by_type.items()
    ]
    return sorted(rows, key=lambda r: (r[1], r[0]))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    rows = event_table(settings)
    t = topics_for(settings)
    if args.markdown:
        print("| event type | topic | reported by record types |\n|---|---|---|")
        for etype, topic, records in rows:
            print(f"| `{etype}` | `{topic}` | {', '.join(records)} |")
    else:
        for etype, topic, records in rows:
            print(f"{etype:36} {topic:32} {', '.join(records)}")
    print(f"\nbeside them: cross-agency corroborations on {t.corroborations}, signed batch "
          f"manifests on {t.batches}; signed notices: identity merges and reviews on "
          f"{t.identity}, quarantine on {t.dlq}")
    return 0
