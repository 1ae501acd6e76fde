"""One message value for both client libraries, and the offsets a relay commits after a batch."""

from __future__ import annotations

from confluent_kafka import Message as LibrdkafkaMessage
from kafka.consumer.fetcher import ConsumerRecord

from hub.kafka.exactly_once import next_offsets
from hub.kafka.message import Message

WANT = Message("mhub.events.border", 2, 17, b"P-1", b"<e/>", (("event-id", b"E-1"),), 1_700)


def test_a_librdkafka_message_reads_as_the_same_value() -> None:
    msg = LibrdkafkaMessage(topic="mhub.events.border", partition=2, offset=17, key=b"P-1",
                            value=b"<e/>", headers=[("event-id", b"E-1")], timestamp=(1, 1_700))
    assert Message.from_librdkafka(msg) == WANT


def test_a_kafka_python_record_reads_as_the_same_value() -> None:
    record = ConsumerRecord("mhub.events.border", 2, -1, 17, 1_700, 0, b"P-1", b"<e/>",
                            [("event-id", b"E-1")], None, 3, 4, 8)
    assert Message.from_kafka_python(record) == WANT


def test_headers_and_tombstones() -> None:
    bare = LibrdkafkaMessage(topic="t", partition=0, offset=0, key=b"src", value=None)
    got = Message.from_librdkafka(bare)
    assert (got.value, got.headers, got.header("event-id")) == (None, (), None)
    assert WANT.header("event-id") == b"E-1"


def test_next_offsets_are_after_the_last_message_of_each_partition() -> None:
    batch = [Message("a", 0, 5, None, b""), Message("b", 1, 9, None, b""),
             Message("a", 0, 7, None, b""), Message("a", 1, 2, None, b"")]
    assert next_offsets(batch) == {("a", 0): 8, ("b", 1): 10, ("a", 1): 3}
    assert next_offsets([]) == {}
