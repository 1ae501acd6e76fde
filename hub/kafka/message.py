"""The one record every reader of the seam returns, whichever client library read it.

librdkafka hands out ``Message`` objects read through methods (``msg.value()``, headers as a
list or None, the timestamp as a (type, ms) pair); kafka-python ``ConsumerRecord`` tuples
with attributes. The hub reads neither: :class:`Message` is a frozen value with the same
fields for both, so code above the seam (the consumer library, the gateway, stage 2) never
learns which client a path uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Headers = tuple[tuple[str, bytes | None], ...]
#: a partition of a topic, as the seam names it: (topic, partition)
Partition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    #: None for a tombstone (a deleted key of a compacted topic)
    value: bytes | None
    headers: Headers = ()
    #: milliseconds since the epoch as the producer or broker stamped it; -1 when unknown
    timestamp: int = -1

    def header(self, name: str) -> bytes | None:
        """The first header called ``name`` (None when there is none)."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @classmethod
    def from_librdkafka(cls, msg: Any) -> Message:
        headers = msg.headers()
        return cls(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(),
                   tuple(headers) if headers else (), msg.timestamp()[1])

    @classmethod
    def from_kafka_python(cls, record: Any) -> Message:
        headers = record.headers
        return cls(record.topic, record.partition, record.offset, record.key, record.value,
                   tuple(headers) if headers else (), record.timestamp)
