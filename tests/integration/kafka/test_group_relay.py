"""The seam's consume-transform-produce (``hub.kafka.exactly_once.GroupRelay``) on the real
broker, as its users run it (the bureau feed; the stay ledger next): every input record
reaches the output once, through a failed batch, a restart of the same member and a zombie
fenced by a newer instance. The output is read back read_committed to its end offsets."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable

import pytest

from hub.config import Settings
from hub.errors import BrokerError
from hub.kafka.clients import producer, sole_member
from hub.kafka.exactly_once import GroupRelay
from hub.kafka.reading import read_to_end
from tests.support.reliability import record_outcome

ROLE = "test-relay"
BATCH = 7
POLL_S = 0.5
# Joining the group and reading a few dozen records takes seconds; this bounds a fault.
DRAIN_DEADLINE_S = 90.0
AREA = "consume-transform-produce (GroupRelay)"


class TransformFailed(Exception):
    """A transform that fails mid-batch, after sending part of its output."""


def _produce(settings: Settings, topic: str, values: list[bytes]) -> None:
    prod = producer(settings)
    try:
        for i, value in enumerate(values):
            prod.send(topic, key=str(i).encode(), value=value)
        prod.flush()
    finally:
        prod.close()


def _relay(settings: Settings, topic: str, names: dict[str, str]) -> GroupRelay:
    return GroupRelay.open(settings, [topic], group_id=names["group"],
                           transactional_id=names["txn"], role=ROLE,
                           instance=sole_member(names["group"]), probe_topic=names["out"])


def _drain(relay: GroupRelay, out: str, *, fail_first: bool = False) -> Counter[str]:
    """Copy every record to ``out`` until drained; ``fail_first`` fails the first batch
    after sending half of it (the transaction must leave nothing, the batch come again)."""
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + DRAIN_DEADLINE_S
    while not relay.drained:
        assert time.monotonic() < deadline, "the relay did not drain its topics"
        batch = relay.poll(BATCH, POLL_S)
        if not batch:
            continue
        try:
            with relay.transaction(batch) as txn:
                for i, msg in enumerate(batch):
                    if fail_first and i == len(batch) // 2:
                        raise TransformFailed
                    txn.send(out, msg.value or b"", key=msg.key)
        except TransformFailed:
            fail_first = False
            counts["aborted"] += 1
            continue
        counts["copied"] += len(batch)
    return counts


def _output(settings: Settings, out: str) -> Counter[bytes]:
    return Counter(m.value for m in read_to_end(out, settings))


@pytest.fixture
def names(unique_name: Callable[[str], str], make_topic: Callable[..., str]) -> dict[str, str]:
    return {"in": make_topic("relay-in", partitions=2), "out": make_topic("relay-out"),
            "group": unique_name("relay-group"), "txn": unique_name("relay-txn")}


def test_failed_batch_and_restart_copy_every_record_once(
    kafka_settings: Settings, names: dict[str, str]
) -> None:
    first = [f"r{i}".encode() for i in range(30)]
    _produce(kafka_settings, names["in"], first)
    with _relay(kafka_settings, names["in"], names) as relay:
        run1 = _drain(relay, names["out"], fail_first=True)
    assert run1["aborted"] == 1 and run1["copied"] == 30
    assert _output(kafka_settings, names["out"]) == Counter(first)

    later = [f"s{i}".encode() for i in range(5)]
    _produce(kafka_settings, names["in"], later)
    with _relay(kafka_settings, names["in"], names) as relay:  # the same member, restarted
        run2 = _drain(relay, names["out"])
    assert run2["copied"] == 5  # from the committed offsets, nothing read twice
    assert _output(kafka_settings, names["out"]) == Counter(first + later)
    record_outcome(AREA, "a batch fails mid-transaction; the member closes and restarts",
                   "aborted batch read again and copied once; the restart reads only the 5 "
                   "new records; output = input, each once")


def test_a_newer_instance_fences_the_zombie(kafka_settings: Settings,
                                            names: dict[str, str]) -> None:
    values = [f"z{i}".encode() for i in range(20)]
    _produce(kafka_settings, names["in"], values)
    zombie = _relay(kafka_settings, names["in"], names)
    try:
        deadline = time.monotonic() + DRAIN_DEADLINE_S
        batch = []
        while not batch:
            assert time.monotonic() < deadline, "the zombie read nothing"
            batch = zombie.poll(BATCH, POLL_S)
        with _relay(kafka_settings, names["in"], names) as survivor:
            with pytest.raises(BrokerError) as err, zombie.transaction(batch) as txn:
                for msg in batch:
                    txn.send(names["out"], msg.value or b"", key=msg.key)
            assert err.value.fatal and "fenced" in str(err.value), err.value
            with pytest.raises(BrokerError, match="cannot go on"):
                zombie.poll(BATCH, POLL_S)
            _drain(survivor, names["out"])
    finally:
        with contextlib.suppress(BrokerError):  # a fenced member's close may say so too
            zombie.close()
    assert _output(kafka_settings, names["out"]) == Counter(values)
    record_outcome(AREA, "a second instance of the member starts while the first holds a batch",
                   f"first fenced at commit (BrokerError fatal: '{str(err.value)[:70]}'), "
                   "refuses to poll again; the survivor copies every record once")
