"""Reading a whole topic as it stands: every committed record up to the end offsets taken
first, for the tools that judge a topic (``mhub verify``, ``mhub dlq``). Never a prefix: a
reader that stops on silence passes a topic it did not finish reading."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from hub.config import Settings
from hub.errors import StateError

# No position moved for this long means the broker is down or stuck (a loaded broker
# answers a fetch within seconds, holding it at most fetch.max.wait.ms): fail.
STALL_TIMEOUT_S = 60.0
POLL_MS = 500


class IncompleteRead(StateError):
    """The topic could not be read to the end offsets taken at the start."""


@dataclass(frozen=True, slots=True)
class TopicRecord:
    partition: int
    offset: int
    timestamp: int
    value: bytes


def read_to_end(topic: str, settings: Settings, *, stall_timeout_s: float = STALL_TIMEOUT_S,
                **consumer_overrides: object) -> Iterator[TopicRecord]:
    """Every committed record of ``topic`` below the end offsets (read_committed: the last
    stable offsets) taken first; ``consumer_overrides`` tune the kafka-python consumer."""
    from kafka import TopicPartition

    from hub.kafka.clients import consumer

    client = consumer(settings=settings, group_id=None, **consumer_overrides)
    try:
        partitions = sorted(client.partitions_for_topic(topic) or [])
        if not partitions:
            raise StateError(f"topic {topic} does not exist: run `mhub kafka topics` first")
        tps = [TopicPartition(topic, p) for p in partitions]
        client.assign(tps)
        client.seek_to_beginning(*tps)
        end = client.end_offsets(tps)
        positions = {tp: client.position(tp) for tp in tps}
        moved = time.monotonic()
        while any(positions[tp] < end[tp] for tp in tps):
            for tp, msgs in sorted(client.poll(timeout_ms=POLL_MS).items(),
                                   key=lambda kv: kv[0].partition):
                for m in msgs:
                    if m.offset < end[tp]:
                        yield TopicRecord(tp.partition, m.offset, m.timestamp, m.value)
            now_at = {tp: client.position(tp) for tp in tps}
            if now_at != positions:
                positions, moved = now_at, time.monotonic()
            elif time.monotonic() - moved > stall_timeout_s:
                behind = {f"{topic}[{tp.partition}]": (positions[tp], end[tp]) for tp in tps}
                raise IncompleteRead(
                    f"could not read to the end offsets (position, end): {behind}")
    finally:
        client.close()
