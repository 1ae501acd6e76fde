"""The statistics consumer: event topics -> the fact store, restartable, each event once.

It reads through the agency consumer library (``hub.deliver.consumer``), so
every event it counts is verified (batch proof or signature) and read with
``read_committed``. Offsets are committed only after an event's fact is in the
store; a crash re-delivers at most the last few events, and the store's
upsert by (event id, version) makes them count once. A correction (higher
version) replaces its event's fact. Run it again and it resumes where its
consumer group stopped.

    python -m hub.statistics.consumer      # drain what is there, then stop
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from hub.config import Settings, load_settings
from hub.deliver.consumer import EventConsumer, HubEvent, Rejected
from hub.kafka.clients import sole_member
from hub.kafka.faults import FaultHook
from hub.keys import trust_dir
from hub.statistics.definitions import FAMILIES, fact_of
from hub.statistics.store import FactStore

# A batch step (the reports DAG, `python -m infra.year`): it stops once every partition is
# read to its end offsets; this bounds only a wait with nothing to read at all (no topic).
IDLE_TIMEOUT_S = 8.0  # > the broker's initial group rebalance delay (3 s)
GROUP = "statistics"


def utc_text(stamp: str) -> str:
    """An ISO time as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), so stored times compare as text."""
    if not stamp:
        return ""
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def store_path(settings: Settings) -> Path:
    return settings.var_dir / "statistics" / "facts.sqlite"


def group_id(settings: Settings) -> str:
    """One consumer group per hub (topic prefix), so isolated hubs never share offsets."""
    return f"{settings.topic_prefix}{GROUP}"


def consume_statistics(
    settings: Settings | None = None,
    *,
    trust: Path | None = None,
    idle_timeout_s: float | None = IDLE_TIMEOUT_S,
    max_events: int | None = None,
) -> Counter[str]:
    """Apply every new event of the statistics families to the store; return counts."""
    settings = settings or load_settings()
    faults = FaultHook(settings.crash_at)
    counts: Counter[str] = Counter()
    with (
        FactStore(store_path(settings)) as store,
        EventConsumer(
            FAMILIES,
            settings,
            trust or trust_dir(settings),
            settings.var_dir / "statistics" / "consumer",
            group=group_id(settings),
            idle_timeout_s=idle_timeout_s,
            # A batch step: done when every partition is read to its end, not on silence.
            until_end=True,
            # One consumer in its group: a restart after a crash resumes at once.
            instance=sole_member(group_id(settings)),
        ) as cons,
    ):
        for item in cons.stream():
            if isinstance(item, Rejected):
                counts["rejected"] += 1
                continue
            if not isinstance(item, HubEvent):
                continue
            fact = fact_of(item.body, item.citizenships)
            changed = store.apply(
                item.event_id,
                item.version,
                item.source,
                fact,
                record_id=item.body.get("recordId", ""),
                updated_at=utc_text(item.body.get("updatedAt", "")),
            )
            faults.reached("statistics.after-apply")  # crash tests: stored, offset not committed
            counts["events"] += 1
            counts["corrections" if item.version > 1 else "originals"] += 1
            counts[fact.kind or "not-counted"] += 1
            counts["applied" if changed else "unchanged"] += 1
            if max_events is not None and counts["events"] >= max_events:
                cons.state.mark_seen(item.event_id, item.version)
                break
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="update the migration statistics from events")
    parser.add_argument("--trust", type=Path, default=None)
    args = parser.parse_args(argv)
    for key, n in sorted(consume_statistics(trust=args.trust).items()):
        print(f"{key}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
