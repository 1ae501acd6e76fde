"""The dedup index's resident part: a bounded cache of index entries, about 71 bytes each.

Stage 2 decides against this cache (:func:`hub.publish.dedup.decide` takes it as
its lookup); a miss falls through to the partition's local SQLite view of the
index topic (:class:`hub.publish.index.DedupStore`), so memory stays bounded
whatever the index size (bench/bench_dedup_index.py: 10M keys, 153 MB peak).
"""

from __future__ import annotations

import random
import struct
import uuid
from collections.abc import Callable, Iterable

from hub.errors import StateError
from hub.publish.dedup import Decision, IndexEntry, IndexLookup

#: Open-addressing fill limit: linear probing stays short (about 3 probes on a
#: miss) up to 80 % full.
_MAX_LOAD = 0.8
_KEY = 16
# event id, record ref, version, digest, source number, first-source number
_SLOT = struct.Struct("<16sQI8sHH")
_EMPTY = 0
#: Entries carry an 8-bit generation (1..255) of their last use; a generation
#: lasts capacity/_GENERATIONS_PER_CAPACITY operations, so the 255 generations
#: span ~8 capacities of traffic before ages wrap.
_GENERATIONS_PER_CAPACITY = 32
#: Entries sampled per eviction; the oldest goes (Redis's approximated LRU:
#: 5 samples are already close to true LRU, 8 closer still).
_EVICTION_SAMPLES = 8


class BoundedIndexCache:
    """The dedup index's resident part: at most ``capacity`` entries, ~71 bytes each.

    Entries live packed in three flat byte arrays (16-byte key, 40-byte value,
    1 generation byte) addressed by linear probing. Eviction is sampled LRU: of
    a few random entries the least recently used goes. (A CLOCK hand was tried
    first: evicting along a sweep empties the table behind the hand and packs it
    ahead of it, and linear probing runs grew to thousands of slots.) Sources are
    interned to 16-bit numbers. A miss calls ``miss(key)`` on the backing store
    and caches what it returns.

    Contract: the backing store must already hold every entry that the cache
    may evict. Stage 2 writes each decision's entries to the compacted topic in
    its transaction.
    """

    def __init__(self, capacity: int, miss: IndexLookup) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._size = int(capacity / _MAX_LOAD) + 1
        self._keys = bytearray(self._size * _KEY)
        self._vals = bytearray(self._size * _SLOT.size)
        self._state = bytearray(self._size)
        self._miss = miss
        self._sources: list[str] = []
        self._source_no: dict[str, int] = {}
        self._count = 0
        self._rng = random.Random(0x5EED)  # eviction sampling: reproducible runs
        self._span = max(1, capacity // _GENERATIONS_PER_CAPACITY)
        self._ops = 0
        self._generation = 1
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def __len__(self) -> int:
        return self._count

    def memory_bytes(self) -> int:
        """Bytes held by the table (the interned source names are negligible)."""
        return len(self._keys) + len(self._vals) + len(self._state)

    @property
    def bytes_per_key(self) -> float:
        return self.memory_bytes() / self.capacity

    # --- public map operations ---

    def get(self, key: bytes) -> IndexEntry | None:
        """The entry under ``key``, asking the backing store on a miss."""
        slot = self._find(key)
        if slot >= 0:
            self.hits += 1
            self._state[slot] = self._touch()
            return self._decode(slot)
        self.misses += 1
        entry = self._miss(key)
        if entry is not None:
            self._insert(key, entry)
        return entry

    __call__ = get  # so the cache itself is an index lookup for decide()

    def prefetch(
        self, keys: Iterable[bytes], load: Callable[[list[bytes]], dict[bytes, IndexEntry]]
    ) -> set[bytes]:
        """Bring a batch's keys in with one ``load`` of those not cached; return the keys
        the store lacks too (the caller need not ask the store for them again)."""
        wanted = [k for k in dict.fromkeys(keys) if self._find(k) < 0]
        if not wanted:
            return set()
        found = load(wanted)
        for key, entry in found.items():
            if self._find(key) < 0:
                self._insert(key, entry)
        return {k for k in wanted if k not in found}

    def put(self, key: bytes, entry: IndexEntry) -> None:
        slot = self._find(key)
        if slot >= 0:
            self._encode(slot, entry)
            self._state[slot] = self._touch()
        else:
            self._insert(key, entry, -1 - slot)

    def apply(self, decision: Decision) -> None:
        """Take a decision's writes into the cache."""
        for key, entry in decision.writes:
            self.put(key, entry)

    # --- table mechanics ---

    def _home(self, key: bytes) -> int:
        # SipHash of the bytes: keys are UUIDs, but hashing guards against any
        # structure in them (sequential keys would form one long probe run).
        return hash(key) % self._size

    def _find(self, key: bytes) -> int:
        """Slot holding ``key``, or -1 - (the empty slot where it would go)."""
        if len(key) != _KEY:
            raise ValueError("index keys are 16 bytes")
        size, keys, state = self._size, self._keys, self._state
        i = hash(key) % size
        while state[i] != _EMPTY:
            off = i * _KEY
            if keys[off : off + _KEY] == key:
                return i
            i += 1
            if i == size:
                i = 0
        return -1 - i

    def _insert(self, key: bytes, entry: IndexEntry, empty: int = -1) -> None:
        """Add ``key``; ``empty`` is the slot a probe just found for it (-1: probe again)."""
        if self._count >= self.capacity:
            self._evict_one()  # moves entries: the probe's slot no longer holds
            empty = -1
        slot = empty if empty >= 0 else -1 - self._find(key)
        self._keys[slot * _KEY : slot * _KEY + _KEY] = key
        self._encode(slot, entry)
        self._state[slot] = self._touch()
        self._count += 1

    def _touch(self) -> int:
        """The current generation, advancing it every ``_span`` operations."""
        self._ops += 1
        if self._ops >= self._span:
            self._ops = 0
            self._generation = self._generation % 255 + 1
        return self._generation

    def _evict_one(self) -> None:
        size, state, now = self._size, self._state, self._generation
        victim, oldest, sampled = -1, -1, 0
        while sampled < _EVICTION_SAMPLES:
            slot = self._rng.randrange(size)
            gen = state[slot]
            if gen == _EMPTY:
                continue
            sampled += 1
            age = (now - gen) % 255
            if age > oldest:
                victim, oldest = slot, age
        self._delete(victim)
        self.evictions += 1

    def _delete(self, i: int) -> None:
        """Empty slot ``i`` and shift later entries of its probe run back (no tombstones)."""
        size, keys, vals, state = self._size, self._keys, self._vals, self._state
        vs = _SLOT.size
        j = i
        while True:
            j = j + 1 if j + 1 < size else 0
            if state[j] == _EMPTY:
                break
            k = self._home(bytes(keys[j * _KEY : j * _KEY + _KEY]))
            # Entry j may fill hole i unless its home lies cyclically in (i, j].
            if (i <= j and (k <= i or k > j)) or (i > j and k <= i and k > j):
                keys[i * _KEY : i * _KEY + _KEY] = keys[j * _KEY : j * _KEY + _KEY]
                vals[i * vs : i * vs + vs] = vals[j * vs : j * vs + vs]
                state[i] = state[j]
                i = j
        state[i] = _EMPTY
        self._count -= 1

    def _source_number(self, source: str) -> int:
        number = self._source_no.get(source)
        if number is None:
            if len(self._sources) >= 0xFFFF:
                raise StateError("more than 65535 distinct sources in one dedup cache")
            number = len(self._sources)
            self._sources.append(source)
            self._source_no[source] = number
        return number

    def _encode(self, slot: int, e: IndexEntry) -> None:
        _SLOT.pack_into(
            self._vals,
            slot * _SLOT.size,
            e.event_id.bytes,
            e.record_ref,
            e.version,
            e.digest,
            self._source_number(e.source),
            self._source_number(e.first_source),
        )

    def _decode(self, slot: int) -> IndexEntry:
        eid, ref, version, digest, src, first = _SLOT.unpack_from(self._vals, slot * _SLOT.size)
        return IndexEntry(
            uuid.UUID(bytes=eid), self._sources[src], ref, version, digest, self._sources[first]
        )
