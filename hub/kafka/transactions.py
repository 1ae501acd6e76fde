"""Kafka transactions, written once: begin, send, commit or abort, on librdkafka.

Both stages commit through :class:`TransactionalProducer`::

    producer = TransactionalProducer.open(settings, transactional_id, role="stage1")
    with producer.transaction() as txn:      # begin
        txn.send(topic, value, key=..., partition=..., headers=...)
        txn.send_offsets(...)                 # stage 2: the consumed intake offsets
    # committed here; an exception inside the block aborts and re-raises

Commit boundaries pass through the process's :class:`~hub.kafka.faults.FaultHook`
as ``<role>.after-begin``, ``<role>.before-commit`` and ``<role>.after-commit``
(the moment after Kafka's commit and before any local bookkeeping), the only
places the crash tests kill a stage. Initialising the producer fences any
zombie holding the same transactional id and aborts its open transaction.

:class:`IntakeReader` is stage 2's side of consume-transform-produce: one
assigned intake partition, read with ``read_committed`` from the group's
committed offset, whose consumer-group metadata goes into every transaction.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)

from hub.config import Settings
from hub.errors import BrokerError
from hub.kafka.clients import (
    CONNECT_TIMEOUT_MS,
    librdkafka_consumer_config,
    librdkafka_producer_config,
)
from hub.kafka.faults import FaultHook

# init/commit/abort wait at most this long for the transaction coordinator; a
# healthy local broker answers in milliseconds, a failover takes seconds.
COORDINATOR_TIMEOUT_S = 30.0
# Pause between asks for the group coordinator while it moves or loads.
COORDINATOR_RETRY_S = 0.2
COORDINATOR_MOVING = frozenset(
    {
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
    }
)
# How long send() waits for room in a full local queue before polling again.
QUEUE_FULL_WAIT_S = 0.05

Headers = list[tuple[str, bytes]]


@contextlib.contextmanager
def broker_errors(doing: str) -> Iterator[None]:
    """librdkafka's errors as the hub's :class:`BrokerError`, the original kept as cause."""
    try:
        yield
    except KafkaException as exc:
        err = exc.args[0] if exc.args else None
        reason = err.str() if isinstance(err, KafkaError) else str(exc)
        if _fatal_error(err) and "fenced" not in reason:
            reason += " (fatal: fenced by a newer instance of this transactional id, or lost)"
        raise BrokerError(f"Kafka {doing} failed: {reason}") from exc


@dataclass
class Delivered:
    """Offsets the broker assigned to the messages sent with ``track=True``."""

    offsets: dict[str, int] = field(default_factory=dict)

    def __call__(self, err: KafkaError | None, msg: Any) -> None:
        if err is None:
            key = f"{msg.topic()}:{msg.partition()}"
            self.offsets[key] = max(self.offsets.get(key, -1), msg.offset())


class Transaction:
    """The open transaction of a :class:`TransactionalProducer`."""

    def __init__(self, producer: Producer) -> None:
        self._producer = producer
        self.delivered = Delivered()
        self.messages = 0

    def send(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | None = None,
        partition: int | None = None,
        headers: Headers | None = None,
        track: bool = False,
    ) -> None:
        """Queue one message; ``track`` records its offset in :attr:`delivered`."""
        kwargs: dict[str, Any] = {"key": key, "headers": headers}
        if partition is not None:
            kwargs["partition"] = partition
        if track:
            kwargs["on_delivery"] = self.delivered
        with broker_errors(f"sending to {topic}"):  # a fenced producer fails here
            while True:
                try:
                    self._producer.produce(topic, value, **kwargs)
                    break
                except BufferError:  # local queue full: let librdkafka send, then retry
                    self._producer.poll(QUEUE_FULL_WAIT_S)
        self.messages += 1

    def send_offsets(self, topic: str, partition: int, next_offset: int, group: Any) -> None:
        """Commit ``next_offset`` of ``topic``/``partition`` for the group, with this txn."""
        with broker_errors("committing consumed offsets"):
            self._producer.send_offsets_to_transaction(
                [TopicPartition(topic, partition, next_offset)], group, COORDINATOR_TIMEOUT_S
            )


class TransactionalProducer:
    """A stage's transactional producer: one per transactional id, zombies fenced."""

    def __init__(self, producer: Producer, role: str, faults: FaultHook) -> None:
        self._producer = producer
        self.role = role
        self.faults = faults
        #: set once librdkafka reported a fatal error (fenced by a newer instance)
        self.fatal = False

    @classmethod
    def open(
        cls, settings: Settings, transactional_id: str, *, role: str, probe_topic: str | None = None
    ) -> TransactionalProducer:
        """``probe_topic``, a topic the stage writes, narrows the reachability check to its
        metadata: listing a whole shared cluster cost ~140 ms of CPU per stage run."""
        producer = Producer(librdkafka_producer_config(settings, transactional_id))
        # A broker that does not answer fails the stage in seconds, with that reason,
        # rather than after the coordinator timeout.
        with broker_errors(f"reaching the cluster at {settings.kafka_bootstrap}"):
            producer.list_topics(probe_topic, timeout=CONNECT_TIMEOUT_MS / 1000)
        with broker_errors(f"initialising transactions for {transactional_id}"):
            producer.init_transactions(COORDINATOR_TIMEOUT_S)
        return cls(producer, role, FaultHook(settings.crash_at))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Begin; yield; commit. Any exception (or kill) inside leaves nothing visible."""
        with broker_errors("beginning a transaction"):
            self._producer.begin_transaction()
        txn = Transaction(self._producer)
        try:
            self.faults.reached(f"{self.role}.after-begin")
            yield txn
            self.faults.reached(f"{self.role}.before-commit", settle=self._flush)
            with broker_errors("committing a transaction"):
                self._producer.commit_transaction(COORDINATOR_TIMEOUT_S)
        except BaseException as exc:
            self.fatal = self.fatal or _is_fatal(exc)
            # Fenced or unreachable: the coordinator aborts it on its timeout anyway.
            if not self.fatal:
                with contextlib.suppress(KafkaException):
                    self._producer.abort_transaction(COORDINATOR_TIMEOUT_S)
            raise
        self.faults.reached(f"{self.role}.after-commit")

    def _flush(self) -> None:
        self._producer.flush(COORDINATOR_TIMEOUT_S)

    def close(self) -> None:
        # Every send is transactional, so after a commit or abort nothing is queued. A
        # fenced producer can deliver nothing (its flush raises, or fails with a
        # SystemError from the delivery callbacks); its transaction is the broker's.
        if not self.fatal:
            with contextlib.suppress(KafkaException):
                self._producer.flush(COORDINATOR_TIMEOUT_S)


def _is_fatal(exc: BaseException) -> bool:
    """Whether ``exc`` (a :class:`BrokerError` from librdkafka) left the producer unusable."""
    cause = exc.__cause__ if isinstance(exc, BrokerError) else exc
    err = cause.args[0] if isinstance(cause, KafkaException) and cause.args else None
    return _fatal_error(err)


def _fatal_error(err: object) -> bool:
    """librdkafka flags fatal errors, except produce()'s, which only carry the _FATAL code."""
    return isinstance(err, KafkaError) and (err.fatal() or err.code() == KafkaError._FATAL)


@dataclass(frozen=True, slots=True)
class IntakeMessage:
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


class IntakeReader:
    """Reads one intake partition from the stage-2 group's committed offset."""

    def __init__(self, settings: Settings, topic: str, partition: int, group_id: str) -> None:
        self.topic = topic
        self.partition = partition
        self._consumer = Consumer(librdkafka_consumer_config(settings, group_id))
        committed = self._committed(TopicPartition(topic, partition))
        start = committed if committed >= 0 else OFFSET_BEGINNING
        self._consumer.assign([TopicPartition(topic, partition, start)])
        self.at_end = False

    def _committed(self, tp: TopicPartition) -> int:
        """The group's committed offset; retried while the group coordinator moves or
        loads (a broker just restarted or failed over answers NOT_COORDINATOR at first)."""
        deadline = time.monotonic() + COORDINATOR_TIMEOUT_S
        with broker_errors(f"reading the committed offset of {tp.topic}[{tp.partition}]"):
            while True:
                try:
                    got = self._consumer.committed([tp], timeout=COORDINATOR_TIMEOUT_S)
                    return int(got[0].offset)
                except KafkaException as exc:
                    err = exc.args[0] if exc.args else None
                    retriable = isinstance(err, KafkaError) and (
                        err.retriable() or err.code() in COORDINATOR_MOVING
                    )
                    if not retriable or time.monotonic() > deadline:
                        raise
                    time.sleep(COORDINATOR_RETRY_S)

    @property
    def group_metadata(self) -> Any:
        return self._consumer.consumer_group_metadata()

    def poll(self, max_messages: int, timeout_s: float) -> list[IntakeMessage]:
        """Up to ``max_messages`` committed messages; sets :attr:`at_end` at the partition end."""
        out: list[IntakeMessage] = []
        for msg in self._consumer.consume(max_messages, timeout_s):
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    self.at_end = True
                    continue
                raise BrokerError(f"reading {self.topic}[{self.partition}]: {err.str()}")
            self.at_end = False
            out.append(
                IntakeMessage(msg.offset(), msg.key(), msg.value(), dict(msg.headers() or ()))
            )
        return out

    def backlog(self) -> int:
        """Messages between the reader's position and the partition's end."""
        tp = TopicPartition(self.topic, self.partition)
        with broker_errors("reading watermarks"):
            _low, high = self._consumer.get_watermark_offsets(tp, COORDINATOR_TIMEOUT_S)
            position = self._consumer.position([tp])[0].offset
        return max(0, high - position) if position >= 0 else 0

    def _flush(self) -> None:
        self._producer.flush(COORDINATOR_TIMEOUT_S)

    def close(self) -> None:
        self._consumer.close()
