"""kafka-python readers for the paths off the hot one: the agency consumer library, the
partner gateway's feeder, the batch manifests behind the proofs, and stage 2's start-up reads
(its dedup index catch-up and its audit chain's head).

Two shapes, both ``read_committed`` and both returning :class:`~hub.kafka.message.Message`:

* :class:`PartitionReader`: assigned partitions from positions the caller keeps (in SQLite
  beside what it made of the records, or found by reading back); no consumer group, so
  nothing is committed and nobody's position moves.
* :class:`GroupReader`: a consumer-group member whose offsets the caller commits after it
  handled the records (at least once; the consumer library's seen-set makes it effectively
  once), with static membership for a group of one.

kafka-python is imported when a reader is made: stage 1 never loads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hub.config import Settings
from hub.kafka.clients import consumer
from hub.kafka.errors import broker_errors
from hub.kafka.message import Message, Partition


def _flat(polled: Mapping[Any, list[Any]]) -> list[Message]:
    return [Message.from_kafka_python(r) for records in polled.values() for r in records]


class PartitionReader:
    """Assigned partitions read from the positions the caller gives; no consumer group."""

    def __init__(self, settings: Settings, *, max_poll_records: int | None = None) -> None:
        from kafka import TopicPartition

        self._tp = TopicPartition
        extra = {} if max_poll_records is None else {"max_poll_records": max_poll_records}
        with broker_errors("connecting a reader"):
            self._client = consumer(settings=settings, group_id=None, **extra)
        self._assigned: dict[Partition, Any] = {}

    def partitions(self, topic: str) -> list[int]:
        """The partitions of ``topic`` ([] when it does not exist)."""
        with broker_errors(f"describing {topic}", topic=topic):
            return sorted(self._client.partitions_for_topic(topic) or ())

    @property
    def assigned(self) -> list[Partition]:
        return list(self._assigned)

    def assign(self, partitions: Iterable[Partition]) -> None:
        """Read these partitions (and no others) from now on; :meth:`seek` says where."""
        self._assigned = {(t, p): self._tp(t, p) for t, p in partitions}
        with broker_errors("assigning partitions"):
            self._client.assign(list(self._assigned.values()))

    def seek(self, start: Mapping[Partition, int]) -> None:
        """Each assigned partition to its offset in ``start``, the others to their beginning."""
        with broker_errors("seeking"):
            for key, tp in self._assigned.items():
                if key in start:
                    self._client.seek(tp, start[key])
                else:
                    self._client.seek_to_beginning(tp)

    def poll(self, timeout_s: float) -> list[Message]:
        """What arrived within ``timeout_s``, each partition's records in offset order."""
        with broker_errors("reading"):
            return _flat(self._client.poll(timeout_ms=int(timeout_s * 1000)))

    def position(self, partition: Partition) -> int:
        """The next offset this reader reads in ``partition`` (past commit markers)."""
        with broker_errors("reading a position", topic=partition[0]):
            return int(self._client.position(self._assigned[partition]))

    def end_offsets(self) -> dict[Partition, int]:
        """The assigned partitions' ends (read_committed: their last stable offsets)."""
        with broker_errors("reading end offsets"):
            got = self._client.end_offsets(list(self._assigned.values()))
        return {key: int(got[tp]) for key, tp in self._assigned.items()}

    def beginning_offsets(self) -> dict[Partition, int]:
        with broker_errors("reading beginning offsets"):
            got = self._client.beginning_offsets(list(self._assigned.values()))
        return {key: int(got[tp]) for key, tp in self._assigned.items()}

    def at_end(self) -> bool:
        """Whether every assigned partition is read to its end offset."""
        ends = self.end_offsets()
        return all(self.position(key) >= end for key, end in ends.items())

    def close(self) -> None:
        self._client.close()


class GroupReader:
    """A consumer-group member over ``topics``; its offsets move only by :meth:`commit`."""

    def __init__(
        self,
        settings: Settings,
        topics: Sequence[str],
        *,
        group_id: str,
        instance: str | None = None,
        max_poll_records: int,
    ) -> None:
        """``instance``: the member's static name (``group.instance.id``), for a group of one
        consumer: restarted, it takes its partitions back at once."""
        from kafka.structs import OffsetAndMetadata, TopicPartition

        self._tp, self._offset = TopicPartition, OffsetAndMetadata
        self.group_id = group_id
        with broker_errors(f"joining the consumer group {group_id}"):
            self._client = consumer(*topics, settings=settings, group_id=group_id,
                                    group_instance_id=instance, max_poll_records=max_poll_records)

    def poll(self, timeout_s: float) -> list[Message]:
        with broker_errors(f"reading for group {self.group_id}"):
            return _flat(self._client.poll(timeout_ms=int(timeout_s * 1000)))

    @property
    def assigned(self) -> bool:
        """Whether the group gave this member any partition yet (False while joining)."""
        return bool(self._client.assignment())

    def at_end(self) -> bool:
        """Whether this member has read every assigned partition to its end (read_committed:
        the last stable offset; kafka-python moves the position past transaction markers and
        aborted records, so a drained partition's position equals its end)."""
        assigned = list(self._client.assignment())
        if not assigned:
            return False
        with broker_errors(f"reading the end offsets of group {self.group_id}"):
            ends = self._client.end_offsets(assigned)
            return all(self._client.position(tp) >= ends[tp] for tp in assigned)

    def commit(self, offsets: Mapping[Partition, int]) -> bool:
        """Commit the next offset of each (topic, partition); False when the group
        rebalanced meanwhile (the offsets are dropped and the records come again)."""
        from kafka.errors import CommitFailedError

        committed = {self._tp(t, p): self._offset(off, "", -1) for (t, p), off in offsets.items()}
        with broker_errors(f"committing offsets of group {self.group_id}"):
            try:
                self._client.commit(committed)
            except CommitFailedError:
                return False
        return True

    def close(self) -> None:
        """Leave the group; offsets move only by :meth:`commit`, never on close."""
        self._client.close(autocommit=False)
