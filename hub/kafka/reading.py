"""Reading a whole topic as it stands: every committed record below the end offsets taken
first. Never a prefix: a reader that stopped on silence would pass a topic it did not finish
reading (``mhub verify``, ``mhub dlq``), or restart a source from an old position (stage 1's
positions, ``hub.intake.positions``).

librdkafka, assigned partitions, no group joined and nothing committed: nobody's position
moves. With ``read_committed`` the end offsets are the last stable offsets (nothing below
them is still undecided), and librdkafka reports a partition's end (``_PARTITION_EOF``) at
that offset even when aborted records and commit markers come last, which no message shows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from hub.config import Settings
from hub.errors import StateError
from hub.kafka.clients import librdkafka_consumer_config
from hub.kafka.errors import broker_errors, message_error, retry_while_moving
from hub.kafka.message import Message

# No record and no partition end for this long means the broker is down or stuck (a
# loaded broker answers a fetch within seconds): fail rather than pass a prefix.
STALL_TIMEOUT_S = 60.0
# Metadata and offset requests: a healthy broker answers in milliseconds; each is asked
# again while a leader is being elected (a topic created a moment ago), up to the stall.
REQUEST_TIMEOUT_S = 2.0
# One poll waits at most this long for the next record or partition end.
POLL_S = 0.5
# The broker answers a fetch at a partition's end after this long (librdkafka's default of
# 500 ms would be added to every read, once per extract run for positions): the topic is
# read once, to its end, so nothing is gained by holding the fetch open.
FETCH_WAIT_MS = 10
# librdkafka requires a group name; this reader never joins the group nor commits to it.
READER_GROUP = "reader"
_NO_TOPIC = frozenset({KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC})


class IncompleteRead(StateError):
    """The topic could not be read to the end offsets taken at the start."""


class NoSuchTopic(StateError):
    """The topic does not exist (yet)."""


def read_to_end(topic: str, settings: Settings, *, stall_timeout_s: float = STALL_TIMEOUT_S,
                **overrides: object) -> Iterator[Message]:
    """Every committed record of ``topic`` below the end offsets taken first, each
    partition in offset order; ``overrides`` are librdkafka settings (tests: a slow broker).
    Raises :class:`NoSuchTopic`, :class:`IncompleteRead` or :class:`~hub.errors.BrokerError`."""
    config = librdkafka_consumer_config(settings, f"{settings.topic_prefix}{READER_GROUP}")
    with broker_errors(f"reading {topic}", topic=topic):
        cons = Consumer({**config, "fetch.wait.max.ms": FETCH_WAIT_MS, **overrides})
    try:
        ends = _end_offsets(cons, topic, stall_timeout_s)
        if ends:
            with broker_errors(f"reading {topic}", topic=topic):
                cons.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(ends)])
            yield from _records(cons, topic, ends, stall_timeout_s)
    finally:
        cons.close()


def _end_offsets(cons: Consumer, topic: str, deadline_s: float) -> dict[int, int]:
    """The end offset of every partition that holds anything (read_committed: stable)."""

    def partitions() -> list[int]:
        meta = cons.list_topics(topic, timeout=REQUEST_TIMEOUT_S).topics.get(topic)
        if meta is None or (meta.error is not None and meta.error.code() in _NO_TOPIC):
            raise NoSuchTopic(f"topic {topic} does not exist: run `mhub kafka topics` first")
        if meta.error is not None:
            raise message_error(meta.error, f"describing {topic}", topic=topic)
        return sorted(meta.partitions)

    ends: dict[int, int] = {}
    for p in retry_while_moving(partitions, f"describing {topic}", topic=topic,
                                deadline_s=deadline_s):
        low, high = retry_while_moving(
            lambda p=p: cons.get_watermark_offsets(TopicPartition(topic, p), REQUEST_TIMEOUT_S),
            f"reading the offsets of {topic}[{p}]", topic=topic, deadline_s=deadline_s)
        if high > low:
            ends[p] = high
    return ends


def _records(cons: Consumer, topic: str, ends: dict[int, int],
             stall_timeout_s: float) -> Iterator[Message]:
    remaining = set(ends)
    moved = time.monotonic()
    while remaining:
        if time.monotonic() - moved > stall_timeout_s:
            behind = {f"{topic}[{p}]": ends[p] for p in sorted(remaining)}
            raise IncompleteRead(f"could not read to the end offsets {behind}: nothing "
                                 f"came for {stall_timeout_s:.0f} s")
        with broker_errors(f"reading {topic}", topic=topic):
            msg = cons.poll(POLL_S)  # consume(n) would wait for n records or the timeout
        if msg is None:
            continue
        p, err = msg.partition(), msg.error()
        if p not in remaining:
            continue  # beyond the end offset of a partition already read
        moved = time.monotonic()
        offset = msg.offset()
        if err is not None:
            if err.code() != KafkaError._PARTITION_EOF:
                raise message_error(err, f"reading {topic}[{p}]", topic=topic)
            done = offset >= ends[p]
        else:
            if offset < ends[p]:
                yield Message.from_librdkafka(msg)
            done = offset >= ends[p] - 1
        if done:
            remaining.discard(p)
            with broker_errors(f"reading {topic}", topic=topic):
                cons.pause([TopicPartition(topic, p)])  # records written since are not read
