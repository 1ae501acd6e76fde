"""The queue store's SMEV-3-style life cycle on a real SQLite file, with a settable clock."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from hub.deliver.gateway.queue import AckResult, NewMessage, QueueStore, Status, new_message_id
from hub.deliver.gateway.stats import queue_stats

VISIBILITY_S = 60.0
RETENTION_S = 3_600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_770_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path, clock) -> QueueStore:
    s = QueueStore(
        tmp_path / "q.sqlite",
        visibility_timeout_s=VISIBILITY_S,
        retention_s=RETENTION_S,
        clock=clock,
    )
    yield s
    s.close()


def _msg(partner: str, n: int, version: int = 1) -> NewMessage:
    return NewMessage(
        partner,
        f"event-{n}",
        version,
        "border",
        "border.crossing",
        new_message_id(),
        f"<m n='{n}'/>".encode(),
    )


class TestMessageIds:
    def test_time_based_uuid1_with_a_random_node(self):
        ids = [uuid.UUID(new_message_id()) for _ in range(50)]
        assert {i.version for i in ids} == {1}
        assert len(set(ids)) == 50
        assert ids[0].node & (1 << 40), "multicast bit marks a random node id, not a MAC"
        assert ids[0].node != uuid.getnode() or uuid.getnode() & (1 << 40)


class TestLifeCycle:
    def test_get_ack_and_redelivery_after_the_visibility_timeout(self, store, clock):
        assert store.enqueue([_msg("KGZ", 1), _msg("KGZ", 2)], {("t", 0): 2}) == 2
        first = store.get("KGZ")
        assert (first.event_id, first.deliveries) == ("event-1", 1)
        assert store.get("KGZ").event_id == "event-2"
        assert store.get("KGZ") is None  # both in flight
        clock.now += VISIBILITY_S + 1
        again = store.get("KGZ")
        assert (again.message_id, again.deliveries) == (first.message_id, 2)
        assert store.ack("KGZ", first.message_id) is AckResult.ACKNOWLEDGED
        assert store.ack("KGZ", first.message_id) is AckResult.ALREADY_ACKNOWLEDGED
        assert store.status("KGZ", first.message_id).status is Status.ACKNOWLEDGED

    def test_expiry_after_retention(self, store, clock, tmp_path):
        store.enqueue([_msg("UZB", 1), _msg("UZB", 2)], {})
        fetched = store.get("UZB")
        clock.now += RETENTION_S + 1
        assert store.get("UZB") is None
        assert store.ack("UZB", fetched.message_id) is AckResult.EXPIRED
        assert store.status("UZB", fetched.message_id).status is Status.EXPIRED
        [stats] = queue_stats(tmp_path / "q.sqlite", now=clock.now)
        assert (stats.expired, stats.pending, stats.oldest_pending_age_s) == (2, 0, None)

    def test_partners_see_only_their_own_messages(self, store):
        store.enqueue([_msg("KGZ", 1), _msg("UZB", 2)], {})
        uzb = store.get("UZB")
        assert store.ack("KGZ", uzb.message_id) is AckResult.UNKNOWN
        assert store.status("KGZ", uzb.message_id) is None
        assert store.get("KGZ").event_id == "event-1"


class TestFeedingGuards:
    def test_offsets_stored_with_messages_and_duplicates_ignored(self, store):
        assert store.enqueue([_msg("KGZ", 1)], {("events.border", 0): 5}) == 1
        assert store.offsets() == {("events.border", 0): 5}
        # the same event again (a re-read after a crash): the unique key keeps one
        assert store.enqueue([_msg("KGZ", 1)], {("events.border", 0): 6}) == 0
        assert store.has("KGZ", "event-1", 1) and not store.has("KGZ", "event-1", 2)
        assert store.enqueue([_msg("KGZ", 1, version=2)], {}) == 1  # a correction is new

    def test_a_failed_transaction_stores_neither_messages_nor_offsets(self, store):
        with pytest.raises(sqlite3.IntegrityError):
            # the offsets write fails after the messages were inserted: both roll back
            store.enqueue([_msg("KGZ", 9)], {("events.border", 1): None})
        assert store.offsets() == {} and not store.has("KGZ", "event-9", 1)

    def test_stats_per_partner(self, store, clock, tmp_path):
        store.enqueue([_msg("KGZ", n) for n in range(3)] + [_msg("UZB", 9)], {})
        got = store.get("KGZ")
        store.ack("KGZ", got.message_id)
        store.get("KGZ")
        clock.now += 10
        stats = {s.partner: s for s in queue_stats(tmp_path / "q.sqlite", now=clock.now)}
        k = stats["KGZ"]
        assert (k.pending, k.delivered, k.acknowledged, k.expired) == (1, 1, 1, 0)
        assert k.oldest_pending_age_s == pytest.approx(10)
        assert stats["UZB"].pending == 1
