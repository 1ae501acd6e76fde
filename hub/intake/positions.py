"""Connector positions, stored in Kafka with the data they describe.

A source's position is written to the compacted connector-state topic in the
same transaction as the page's intake records, so the position moves if and
only if the records are published. On start, the latest committed position per
source is read back with ``read_committed``; aborted writes are invisible.
"""

from __future__ import annotations

import json
import time
from typing import Any

from kafka import TopicPartition

from hub.config import Settings
from hub.errors import StateError
from hub.kafka.clients import consumer

# Reading back a small compacted topic takes well under a second; give a
# loaded broker room before concluding the topic is at its end.
STATE_READ_TIMEOUT_MS = 2_000
# A topic that cannot be read to its end in this long is a broker problem, not slowness.
STATE_READ_DEADLINE_S = 60.0


def encode_position(position: dict[str, Any]) -> bytes:
    return json.dumps(position, sort_keys=True, separators=(",", ":")).encode()


def load_positions(settings: Settings, topic: str) -> dict[str, dict[str, Any]]:
    """Latest committed position of every source in ``topic`` (read to its end)."""
    cons = consumer(settings=settings, consumer_timeout_ms=STATE_READ_TIMEOUT_MS)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(cons.partitions_for_topic(topic) or [])]
        if not tps:
            return {}
        cons.assign(tps)
        cons.seek_to_beginning(*tps)
        end = cons.end_offsets(tps)
        positions: dict[str, dict[str, Any]] = {}
        remaining = {tp for tp in tps if end[tp] > 0}
        deadline = time.monotonic() + STATE_READ_DEADLINE_S
        while remaining:
            if time.monotonic() > deadline:
                raise StateError(f"could not read {topic} to its end in {STATE_READ_DEADLINE_S}s")
            batch = cons.poll(timeout_ms=STATE_READ_TIMEOUT_MS)
            if not batch:
                # With read_committed, end offsets can sit past aborted/marker records;
                # the position tells when everything up to the end was read.
                remaining = {tp for tp in remaining if cons.position(tp) < end[tp]}
                if not remaining:
                    break
                continue
            for msgs in batch.values():
                for msg in msgs:
                    key = msg.key.decode()
                    if msg.value is None:
                        positions.pop(key, None)
                    else:
                        positions[key] = json.loads(msg.value)
            remaining = {tp for tp in remaining if cons.position(tp) < end[tp]}
        return positions
    finally:
        cons.close()
