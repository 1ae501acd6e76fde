"""Consume-transform-produce, exactly once: consumers whose positions commit inside a
transaction of :class:`~hub.kafka.transactions.TransactionalProducer`.

Kafka's pattern: read with ``read_committed``; per batch, in ONE transaction, write what
the batch produced and the offsets after it (``send_offsets_to_transaction`` with the
consumer's group metadata, which must come from the producer's library: both are
librdkafka). A crash before the commit leaves neither, and the restarted consumer reads
the batch again from the committed offsets. The transactional id fences a zombie writer
(initialising it aborts the zombie's open transaction); the group generation in the
metadata fences a member that lost its partitions in a rebalance.

Two inputs, one transaction implementation:

* :class:`IntakeReader`: stage 2's, one assigned intake partition read from the stage-2
  group's committed offset; ``hub.publish`` sends the offsets into its own transaction.
* :class:`GroupRelay`: a consumer-group member over whole topics with its own
  transactional producer, for every consumer that writes back (the statistics bureau's
  feed; the stay ledger next). Call order::

      relay = GroupRelay.open(settings, topics, group_id=g, transactional_id=t,
                              role="bureau-feed", instance=sole_member(g))
                                                       # fences a zombie of t, then joins g
      with relay:                                      # closes consumer and producer
          while not relay.drained:                     # every assigned partition read
              batch = relay.poll(max_messages, timeout_s)  # [] while joining or idle
              if batch:
                  with relay.transaction(batch) as txn:    # begin
                      txn.send(out_topic, value, key=...)  # what the batch produced
                  # committed: the sends and the offsets after the batch, together;
                  # local bookkeeping goes here, after the commit

  ``transaction`` passes the producer's boundaries ``<role>.after-begin``,
  ``<role>.before-commit`` (offsets sent, commit not yet asked) and ``<role>.after-commit``
  (the crash tests kill there). An exception inside aborts, rewinds the consumer to the
  batch's first offsets (the next poll reads the batch again) and re-raises; after a fatal
  error (fenced) the relay refuses to go on: open a new one. ``instance`` (Kafka static
  membership, ``group.instance.id``) lets a restarted process take its partitions back at
  once instead of waiting out the dead member's session (45 s).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from hub.config import Settings
from hub.errors import BrokerError
from hub.kafka.clients import librdkafka_consumer_config
from hub.kafka.errors import REFUSED, broker_errors, message_error, retry_while_moving
from hub.kafka.message import Message, Partition
from hub.kafka.transactions import COORDINATOR_TIMEOUT_S, Transaction, TransactionalProducer

log = logging.getLogger(__name__)



def next_offsets(batch: Sequence[Message]) -> dict[Partition, int]:
    """The offset after the last message of each (topic, partition) in ``batch``."""
    offsets: dict[Partition, int] = {}
    for m in batch:
        key = (m.topic, m.partition)
        offsets[key] = max(offsets.get(key, 0), m.offset + 1)
    return offsets


def _take(consumed: list[Any], at_end: set[Partition], *, strict: bool) -> list[Message]:
    """The records of a librdkafka consume(); partition ends noted in ``at_end``; other
    errors raised (``strict``) or, for a group member, only those waiting cannot mend
    (fatal, or refused by the ACLs): librdkafka recovers from the rest itself (a broker
    restarting, a subscribed topic not created yet)."""
    out: list[Message] = []
    for msg in consumed:
        err = msg.error()
        where = (msg.topic(), msg.partition())
        if err is None:
            at_end.discard(where)
            out.append(Message.from_librdkafka(msg))
        elif err.code() == KafkaError._PARTITION_EOF:
            at_end.add(where)
        elif strict or err.fatal() or err.code() in REFUSED:
            raise message_error(err, f"reading {where[0]}[{where[1]}]", topic=where[0])
        else:
            log.info("Kafka reports %s while reading %s; retrying", err.name(), where[0])
    return out


class IntakeReader:
    """Reads one intake partition from the stage-2 group's committed offset."""

    def __init__(self, settings: Settings, topic: str, partition: int, group_id: str) -> None:
        self.topic = topic
        self.partition = partition
        self.at_end = False
        self._at_end: set[Partition] = set()
        with broker_errors(f"reading {topic}", topic=topic):
            self._consumer = Consumer(librdkafka_consumer_config(settings, group_id))
        try:
            committed = self._committed()
            start = committed if committed >= 0 else OFFSET_BEGINNING
            with broker_errors(f"reading {topic}", topic=topic):
                self._consumer.assign([TopicPartition(topic, partition, start)])
        except BaseException:
            self._consumer.close()
            raise

    def _committed(self) -> int:
        """The group's committed offset; asked again while the group coordinator moves or
        loads (a broker just restarted or failed over answers NOT_COORDINATOR at first)."""
        tp = TopicPartition(self.topic, self.partition)
        got = retry_while_moving(
            lambda: self._consumer.committed([tp], timeout=COORDINATOR_TIMEOUT_S),
            f"reading the committed offset of {self.topic}[{self.partition}]",
            topic=self.topic, deadline_s=COORDINATOR_TIMEOUT_S,
        )
        return int(got[0].offset)

    @property
    def group_metadata(self) -> object:
        """The consumer group's metadata, for ``Transaction.send_offsets``."""
        with broker_errors("reading the consumer group metadata"):
            return self._consumer.consumer_group_metadata()

    def poll(self, max_messages: int, timeout_s: float) -> list[Message]:
        """Up to ``max_messages`` committed messages; sets :attr:`at_end` at the partition end."""
        with broker_errors(f"reading {self.topic}[{self.partition}]", topic=self.topic):
            consumed = self._consumer.consume(max_messages, timeout_s)
        out = _take(consumed, self._at_end, strict=True)
        self.at_end = bool(self._at_end)
        return out

    def backlog(self) -> int:
        """Messages between the reader's position and the partition's end."""
        tp = TopicPartition(self.topic, self.partition)
        with broker_errors("reading watermarks", topic=self.topic):
            _low, high = self._consumer.get_watermark_offsets(tp, COORDINATOR_TIMEOUT_S)
            position = self._consumer.position([tp])[0].offset
        return max(0, high - position) if position >= 0 else 0

    def close(self) -> None:
        self._consumer.close()


class GroupRelay:
    """A consumer-group member whose every batch commits in one transaction with its output."""

    def __init__(self, consumer: Consumer, producer: TransactionalProducer, group_id: str) -> None:
        self._consumer = consumer
        self._producer = producer
        self.group_id = group_id
        self._at_end: set[Partition] = set()
        #: why this relay cannot go on (fenced, or a failed batch not rewound); "" while it can
        self.broken = ""

    @classmethod
    def open(
        cls,
        settings: Settings,
        topics: Sequence[str],
        *,
        group_id: str,
        transactional_id: str,
        role: str,
        instance: str | None = None,
        probe_topic: str | None = None,
    ) -> GroupRelay:
        """The producer first: initialising it aborts a zombie's open transaction, so the
        group's committed offsets read next are the last ones really committed."""
        producer = TransactionalProducer.open(
            settings, transactional_id, role=role, probe_topic=probe_topic
        )
        try:
            config = librdkafka_consumer_config(settings, group_id)
            if instance:
                config["group.instance.id"] = instance
            with broker_errors(f"joining the consumer group {group_id}"):
                consumer = Consumer(config)
            relay = cls(consumer, producer, group_id)
            try:
                with broker_errors(f"subscribing to {', '.join(topics)}"):
                    consumer.subscribe(list(topics), on_assign=relay._assigned)
            except BaseException:
                consumer.close()
                raise
        except BaseException:
            producer.close()
            raise
        return relay

    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # A partition (re)assigned has not been read to its end yet.
        self._at_end.difference_update((tp.topic, tp.partition) for tp in partitions)

    def _assignment(self) -> set[Partition]:
        with broker_errors(f"reading the assignment of group {self.group_id}"):
            return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    @property
    def assigned(self) -> bool:
        """Whether the group gave this member any partition yet (False while joining)."""
        return bool(self._assignment())

    @property
    def drained(self) -> bool:
        """Every partition this member holds is read to its end (False while joining)."""
        assignment = self._assignment()
        return bool(assignment) and assignment <= self._at_end

    def poll(self, max_messages: int, timeout_s: float) -> list[Message]:
        """Up to ``max_messages`` committed messages, waiting at most ``timeout_s``."""
        if self.broken:
            raise BrokerError(f"the relay of group {self.group_id} cannot go on: {self.broken}",
                              fatal=True)
        with broker_errors(f"reading for group {self.group_id}"):
            consumed = self._consumer.consume(max_messages, timeout_s)
        return _take(consumed, self._at_end, strict=False)

    @contextlib.contextmanager
    def transaction(self, batch: Sequence[Message]) -> Iterator[Transaction]:
        """One transaction holding what the block sends and the offsets after ``batch``."""
        offsets = next_offsets(batch)
        try:
            with self._producer.transaction() as txn:
                yield txn
                with broker_errors(f"reading the metadata of group {self.group_id}"):
                    metadata = self._consumer.consumer_group_metadata()
                txn.send_offsets(offsets, metadata)
        except BaseException:
            self._rewind(batch)
            raise

    def _rewind(self, batch: Sequence[Message]) -> None:
        """Make the next poll read ``batch`` again: its transaction did not commit."""
        if self._producer.fatal:
            self.broken = "its producer was fenced by a newer instance of its transactional id"
            return
        first: dict[Partition, int] = {}
        for m in batch:
            first[(m.topic, m.partition)] = min(first.get((m.topic, m.partition), m.offset),
                                                m.offset)
        self._at_end.difference_update(first)  # not read to the end any more
        try:
            with broker_errors("rewinding to the aborted batch"):
                for (topic, partition), offset in first.items():
                    self._consumer.seek(TopicPartition(topic, partition, offset))
        except BrokerError as exc:
            self.broken = f"the aborted batch could not be read again ({exc})"

    def close(self) -> None:
        """Leaves the group's partitions to this member's name (static membership) until
        its session ends; the producer has nothing queued after a commit or abort."""
        try:
            with broker_errors(f"leaving group {self.group_id}"):
                self._consumer.close()
        finally:
            self._producer.close()

    def __enter__(self) -> GroupRelay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
