"""Kafka transactions, written once: begin, send, commit or abort, on librdkafka.

Every transaction of the hub goes through :class:`TransactionalProducer`: both stages, and
through :class:`~hub.kafka.exactly_once.GroupRelay` every consume-transform-produce
consumer (the bureau feed)::

    producer = TransactionalProducer.open(settings, transactional_id, role="stage1")
    with producer.transaction() as txn:      # begin
        txn.send(topic, value, key=..., partition=..., headers=...)
        txn.send_offsets({(topic, partition): next_offset}, group_metadata)
                                              # consume-transform-produce: the consumed offsets
    # committed here; an exception inside the block aborts and re-raises

Commit boundaries pass through the process's :class:`~hub.kafka.faults.FaultHook`
as ``<role>.after-begin``, ``<role>.before-commit`` and ``<role>.after-commit``
(the moment after Kafka's commit and before any local bookkeeping), the only
places the crash tests kill a stage. Initialising the producer fences any
zombie holding the same transactional id and aborts its open transaction. A producer
that met a fatal error (:attr:`~hub.errors.BrokerError.fatal`: fenced) aborts nothing
and delivers nothing more: the coordinator ends its transaction; open a new one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition

from hub.config import Settings
from hub.errors import BrokerError
from hub.kafka.clients import CONNECT_TIMEOUT_MS, librdkafka_producer_config
from hub.kafka.errors import broker_errors
from hub.kafka.faults import FaultHook
from hub.kafka.message import Partition

# init/commit/abort wait at most this long for the transaction coordinator; a
# healthy local broker answers in milliseconds, a failover takes seconds.
COORDINATOR_TIMEOUT_S = 30.0
# How long send() waits for room in a full local queue before polling again.
QUEUE_FULL_WAIT_S = 0.05

Headers = list[tuple[str, bytes]]


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

    def send_offsets(self, offsets: Mapping[Partition, int], group_metadata: object) -> None:
        """Commit, with this transaction, the next offset of each consumed (topic, partition)
        for the consumer group whose ``group_metadata`` (librdkafka's) is given."""
        with broker_errors("committing consumed offsets"):
            self._producer.send_offsets_to_transaction(
                [TopicPartition(t, p, offset) for (t, p), offset in offsets.items()],
                group_metadata, COORDINATOR_TIMEOUT_S,
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
        with broker_errors(f"configuring the producer {transactional_id}"):
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
    """Whether ``exc`` left the producer unusable (fenced, or lost its transactional state)."""
    return isinstance(exc, BrokerError) and exc.fatal
