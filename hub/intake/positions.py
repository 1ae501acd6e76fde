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

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from hub.config import Settings
from hub.errors import StateError
from hub.kafka.clients import librdkafka_consumer_config
from hub.kafka.transactions import broker_errors

# Reading back a small compacted topic takes well under a second; give a
# loaded broker room before concluding the topic is at its end.
STATE_READ_TIMEOUT_S = 2.0
# A topic that cannot be read to its end in this long is a broker problem, not slowness.
STATE_READ_DEADLINE_S = 60.0
# Pause between asks for a partition's offsets while its leader moves.
STATE_RETRY_S = 0.2
_LEADER_MOVING = frozenset({
    KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError._TIMED_OUT, KafkaError._TRANSPORT,
})
# How long a run waits at its end until its last position can be read back (see
# await_position); other sources' transactions last a page's commit, well under this.
SETTLE_DEADLINE_S = 30.0
SETTLE_PAUSE_S = 0.05
# The broker answers a fetch at the topic's end after this long (librdkafka's default
# of 500 ms would be added to every extract run): the topic is read once, to its end.
STATE_FETCH_WAIT_MS = 10


def encode_position(position: dict[str, Any]) -> bytes:
    return json.dumps(position, sort_keys=True, separators=(",", ":")).encode()


def load_positions(settings: Settings, topic: str) -> dict[str, dict[str, Any]]:
    """Latest committed position of every source in ``topic`` (read to its end).

    librdkafka's consumer (the stages' client): kafka-python's spent ~130 ms of CPU
    per read in its network thread, once per extract run. Assigned partitions, no
    group join, no offsets committed; each partition is read until librdkafka reports
    its end, which with ``read_committed`` lies past aborted writes and markers.
    """
    config = librdkafka_consumer_config(settings, f"{settings.topic_prefix}positions")
    cons = Consumer({**config, "fetch.wait.max.ms": STATE_FETCH_WAIT_MS})
    try:
        with broker_errors(f"reading {topic}"):
            meta = cons.list_topics(topic, timeout=STATE_READ_TIMEOUT_S).topics.get(topic)
            parts = sorted(meta.partitions) if meta is not None and meta.error is None else []
            remaining = set()
            for p in parts:
                low, high = _watermarks(cons, TopicPartition(topic, p))
                if high > low:
                    remaining.add(p)
            if not remaining:
                return {}
            cons.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(remaining)])
            return _read_to_end(cons, topic, remaining)
    finally:
        cons.close()


def _watermarks(cons: Consumer, tp: TopicPartition) -> tuple[int, int]:
    """The partition's offsets, retried while its leader moves or is still being elected
    (a topic created a moment ago answers NOT_LEADER_FOR_PARTITION at first)."""
    deadline = time.monotonic() + STATE_READ_DEADLINE_S
    while True:
        try:
            return cons.get_watermark_offsets(tp, timeout=STATE_READ_TIMEOUT_S)
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            retriable = isinstance(err, KafkaError) and (
                err.retriable() or err.code() in _LEADER_MOVING
            )
            if not retriable or time.monotonic() > deadline:
                raise
            time.sleep(STATE_RETRY_S)


def _read_to_end(cons: Consumer, topic: str, remaining: set[int]) -> dict[str, dict[str, Any]]:
    positions: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + STATE_READ_DEADLINE_S
    while remaining:
        if time.monotonic() > deadline:
            raise StateError(f"could not read {topic} to its end in {STATE_READ_DEADLINE_S}s")
        msg = cons.poll(STATE_READ_TIMEOUT_S)  # consume(n) would wait for n or the timeout
        if msg is None:
            continue
        err = msg.error()
        if err is not None:
            if err.code() != KafkaError._PARTITION_EOF:
                raise StateError(f"reading {topic}[{msg.partition()}]: {err.str()}")
            remaining.discard(msg.partition())
            continue
        key = msg.key().decode()
        value = msg.value()
        if value is None:
            positions.pop(key, None)
        else:
            positions[key] = json.loads(value)
    return positions


def await_position(
    settings: Settings,
    topic: str,
    source: str,
    position: dict[str, Any],
    *,
    deadline_s: float = SETTLE_DEADLINE_S,
) -> bool:
    """Wait until reading ``topic`` back gives ``source`` this committed position; whether
    it did before ``deadline_s``.

    Every source's position is on the topic's one partition, and a ``read_committed``
    reader stops at its last stable offset: another source's transaction still open
    there (its position sent, its registry write or commit not done) hides every later
    position, and so this one, until it ends. The next run of this source, reading
    then, would pull its last page again (stage 2 drops it as a replay, but a
    1,000,000-record run took 1,000 records twice). A run that waits for its position
    before it ends leaves the next run nothing stale to read: the stable offset only
    moves forward.
    """
    want = encode_position(position)
    deadline = time.monotonic() + deadline_s
    while True:
        got = load_positions(settings, topic).get(source)
        if got is not None and encode_position(got) == want:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(SETTLE_PAUSE_S)
