"""Dedup decisions and the bounded index cache."""

from __future__ import annotations

import random
import uuid

import pytest

from hub.errors import StateError
from hub.publish.cache import BoundedIndexCache
from hub.publish.dedup import (
    DedupStats,
    IndexEntry,
    Outcome,
    Report,
    decide,
    decode_entry,
    encode_entry,
    record_index_key,
)

E1 = uuid.uuid5(uuid.NAMESPACE_URL, "fact-1")
E2 = uuid.uuid5(uuid.NAMESPACE_URL, "fact-2")


class Index:
    """A dict-backed index applying decisions, as stage 2 does with the compacted topic."""

    def __init__(self) -> None:
        self.data: dict[bytes, IndexEntry] = {}
        self.stats = DedupStats()

    def feed(self, eid: uuid.UUID, source: str, rid: str, version: int, content: bytes):
        decision = decide(Report(eid, source, rid, version, content.ljust(8, b".")),
                          self.data.get)
        self.data.update(decision.writes)
        self.stats.record(decision)
        return decision


class TestOutcomes:
    def test_new_then_replay(self) -> None:
        idx = Index()
        assert idx.feed(E1, "interior", "BC-1", 1, b"a").outcome is Outcome.NEW
        again = idx.feed(E1, "interior", "BC-1", 1, b"a")
        assert again.outcome is Outcome.REPLAY and again.writes == ()

    def test_correction_and_stale(self) -> None:
        idx = Index()
        idx.feed(E1, "interior", "BC-1", 1, b"a")
        fix = idx.feed(E1, "interior", "BC-1", 2, b"b")
        assert fix.outcome is Outcome.CORRECTION and fix.supersedes is None
        assert idx.feed(E1, "interior", "BC-1", 1, b"a").outcome is Outcome.STALE
        assert idx.feed(E1, "interior", "BC-1", 2, b"b").outcome is Outcome.REPLAY

    def test_same_version_with_other_content_is_kept(self) -> None:
        idx = Index()
        idx.feed(E1, "interior", "BC-1", 1, b"a")
        odd = idx.feed(E1, "interior", "BC-1", 1, b"z")
        assert odd.outcome is Outcome.CORRECTION and odd.same_version_change
        assert idx.stats.same_version_changes == 1

    def test_corroboration_from_another_agency(self) -> None:
        idx = Index()
        idx.feed(E1, "interior", "BC-1", 1, b"a")
        partner = idx.feed(E1, "partner-RUS", "N-1", 1, b"p")
        assert partner.outcome is Outcome.CORROBORATION and partner.corroborates == E1
        # The partner's record fetched again is a replay, not a second corroboration.
        assert idx.feed(E1, "partner-RUS", "N-1", 1, b"p").outcome is Outcome.REPLAY
        # The primary's correction is still a correction of the event.
        assert idx.feed(E1, "interior", "BC-1", 2, b"b").outcome is Outcome.CORRECTION
        # The partner's correction is an updated corroboration.
        assert idx.feed(E1, "partner-RUS", "N-1", 2, b"q").outcome is Outcome.CORROBORATION
        assert idx.data[E1.bytes].first_source == "interior"

    def test_correction_moving_to_another_fact_supersedes(self) -> None:
        idx = Index()
        idx.feed(E1, "interior", "BC-1", 1, b"a")
        moved = idx.feed(E2, "interior", "BC-1", 2, b"b")
        assert moved.outcome is Outcome.CORRECTION
        assert (moved.event_id, moved.supersedes) == (E2, E1)
        assert idx.stats.superseding_corrections == 1

    def test_stats_count_every_outcome(self) -> None:
        idx = Index()
        idx.feed(E1, "interior", "BC-1", 1, b"a")
        idx.feed(E1, "interior", "BC-1", 1, b"a")
        idx.feed(E1, "interior", "BC-1", 2, b"b")
        idx.feed(E1, "interior", "BC-1", 1, b"a")
        idx.feed(E1, "partner-KGZ", "N-9", 1, b"p")
        assert idx.stats.as_dict() == {
            "new": 1, "replay": 1, "correction": 1, "stale": 1, "corroboration": 1,
            "superseding_corrections": 0, "same_version_changes": 0,
        }
        assert idx.stats.total == 5 and idx.stats.dropped == 2


def test_entry_codec_round_trip() -> None:
    entry = IndexEntry(E1, "partner-RUS", 2**63 + 5, 7, b"12345678", "interior")
    assert decode_entry(encode_entry(entry)) == entry
    with pytest.raises(StateError):
        decode_entry(b"short")


def _entry(n: int) -> IndexEntry:
    return IndexEntry(uuid.UUID(int=n), f"src-{n % 3}", n, n % 5, n.to_bytes(8, "big"), "src-0")


def _key(n: int) -> bytes:
    return uuid.uuid5(uuid.NAMESPACE_OID, str(n)).bytes


class TestBoundedIndexCache:
    def test_bounded_and_backed(self) -> None:
        backing = {_key(n): _entry(n) for n in range(2000)}
        cache = BoundedIndexCache(100, backing.get)
        for n in range(2000):
            assert cache.get(_key(n)) == _entry(n)
        assert len(cache) == 100 and cache.evictions == 1900
        assert cache.get(_key(5)) == _entry(5)  # evicted long ago, fetched again
        assert cache.get(uuid.uuid4().bytes) is None

    def test_matches_a_dict_under_random_operations(self) -> None:
        rng = random.Random(7)
        truth: dict[bytes, IndexEntry] = {}
        cache = BoundedIndexCache(64, truth.get)
        for step in range(20000):
            n = rng.randrange(500)
            if rng.random() < 0.4:
                entry = _entry(n * 1000 + step)
                truth[_key(n)] = entry  # write-through, as the contract asks
                cache.put(_key(n), entry)
            else:
                assert cache.get(_key(n)) == truth.get(_key(n))
            assert len(cache) <= 64

    def test_lru_keeps_entries_in_use(self) -> None:
        backing = {_key(n): _entry(n) for n in range(1000)}
        cache = BoundedIndexCache(50, backing.get)
        for n in range(1000):
            cache.get(_key(0))  # hot
            cache.get(_key(n))
        misses = cache.misses
        cache.get(_key(0))
        assert cache.misses == misses

    def test_decisions_through_a_tiny_cache_equal_a_full_index(self) -> None:
        rng = random.Random(3)
        events = [uuid.uuid5(uuid.NAMESPACE_URL, f"e{n}") for n in range(300)]
        stream = []
        for _ in range(3000):
            n = rng.randrange(300)
            stream.append((events[n], rng.choice(["interior", "partner-RUS"]), f"R{n}",
                           rng.randint(1, 3), bytes([rng.randrange(2)]) * 8))
        full: dict[bytes, IndexEntry] = {}
        backing: dict[bytes, IndexEntry] = {}
        cache = BoundedIndexCache(16, backing.get)
        for eid, src, rid, ver, dig in stream:
            cand = Report(eid, src, rid, ver, dig)
            want = decide(cand, full.get)
            full.update(want.writes)
            got = decide(cand, cache)
            backing.update(got.writes)  # the compacted topic, written in stage 2's transaction
            cache.apply(got)
            assert got == want
        assert cache.evictions > 0

    def test_memory_per_key(self) -> None:
        """Measured with tracemalloc, not recomputed from the cache's own arithmetic."""
        import tracemalloc

        CAPACITY = 20_000  # big enough that the table's fixed overhead is noise

        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            cache = BoundedIndexCache(CAPACITY, lambda key: None)
            for n in range(CAPACITY):  # full: every slot holds a key
                cache.put(_key(n), _entry(n))
            allocated = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert allocated / CAPACITY < 75
        # The figure the cache reports (and the bench prints) is what it really holds.
        assert cache.memory_bytes() == pytest.approx(allocated, rel=0.15)

    def test_record_keys_are_16_bytes(self) -> None:
        assert len(record_index_key("interior", "BC-1")) == 16
        with pytest.raises(ValueError):
            BoundedIndexCache(4, lambda key: None).get(b"short")


def test_stats_count_every_superseding_and_same_version_change() -> None:
    idx = Index()
    idx.feed(E1, "interior", "BC-1", 1, b"a")
    idx.feed(E1, "interior", "BC-1", 1, b"b")  # same version, other content
    idx.feed(E1, "interior", "BC-1", 1, b"c")  # and again
    idx.feed(E2, "interior", "BC-1", 2, b"d")  # the record now reports another fact
    idx.feed(E1, "interior", "BC-1", 3, b"e")  # and back
    assert idx.stats.same_version_changes == 2
    assert idx.stats.superseding_corrections == 2
    assert idx.stats.as_dict()["same_version_changes"] == 2
