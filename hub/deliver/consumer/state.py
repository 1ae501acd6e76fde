"""The consumer's durable memory: one SQLite file per consumer.

It holds what makes at-least-once delivery effectively-once and keeps memory
bounded however long the consumer runs: the versions of events already handed
over (an LRU in front of the table), verified batch manifests by batch id,
corroborations by event id, and the identity map (absorbed person id ->
survivor). Every write is its own small transaction; WAL keeps reads cheap.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from hub.deliver.consumer.model import Corroboration, IdentityMerge
from hub.lru import LruCache
from hub.sqlite_wal import use_wal

# Recently seen event ids kept in memory: covers the re-delivery window after a
# rebalance or restart (a few polls) many times over at ~100 bytes an entry.
SEEN_CACHE_SIZE = 100_000
# Verified manifests kept parsed in memory: a batch holds up to ~2,000 events and
# consumers read roughly in publish order, so a few hundred covers the hot set.
MANIFEST_CACHE_SIZE = 256
# Identity merges can chain (A -> B, later B -> C); a longer chain means a cycle.
MAX_MERGE_CHAIN = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY, version INTEGER NOT NULL,
                                 handled_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS manifest (batch_id TEXT PRIMARY KEY, xml BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS manifest_position (part INTEGER PRIMARY KEY, next_offset INTEGER);
CREATE TABLE IF NOT EXISTS corroboration (event_id TEXT NOT NULL, source TEXT NOT NULL,
    record_id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (event_id, source, record_id));
CREATE TABLE IF NOT EXISTS merged (absorbed TEXT PRIMARY KEY, survivor TEXT NOT NULL);
"""


class ConsumerState:
    def __init__(self, path: Path, *, seen_cache: int = SEEN_CACHE_SIZE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        use_wal(self.db)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._seen = LruCache[str, int](seen_cache)

    def close(self) -> None:
        self.db.close()

    # --- seen set: (event id -> newest version handed over) ------------------------

    def seen_version(self, event_id: str) -> int | None:
        cached = self._seen.get(event_id)
        if cached is not None:
            return cached
        row = self.db.execute("SELECT version FROM seen WHERE event_id=?", (event_id,)).fetchone()
        if row is None:
            return None
        self._seen.put(event_id, int(row[0]))
        return int(row[0])

    def is_duplicate(self, event_id: str, version: int) -> bool:
        """A version not newer than one already handed over is a duplicate."""
        seen = self.seen_version(event_id)
        return seen is not None and version <= seen

    def mark_seen(self, event_id: str, version: int) -> None:
        self.db.execute(
            "INSERT INTO seen(event_id, version, handled_at) VALUES (?, ?, ?) "
            "ON CONFLICT(event_id) DO UPDATE SET version=max(version, excluded.version), "
            "handled_at=excluded.handled_at",
            (event_id, version, time.time()),
        )
        cached = self._seen.get(event_id)  # is_duplicate() just looked it up
        self._seen.put(event_id, max(version, cached or 0))

    # --- verified manifests ---------------------------------------------------------

    def manifest(self, batch_id: str) -> bytes | None:
        row = self.db.execute("SELECT xml FROM manifest WHERE batch_id=?", (batch_id,)).fetchone()
        return bytes(row[0]) if row else None

    def store_manifests(
        self, manifests: list[tuple[str, bytes]], positions: dict[int, int]
    ) -> None:
        """Verified manifests and the batches-topic positions after them, atomically."""
        self.db.execute("BEGIN")
        try:
            self.db.executemany(
                "INSERT OR REPLACE INTO manifest(batch_id, xml) VALUES (?, ?)", manifests
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO manifest_position(part, next_offset) VALUES (?, ?)",
                positions.items(),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def manifest_positions(self) -> dict[int, int]:
        rows = self.db.execute("SELECT part, next_offset FROM manifest_position").fetchall()
        return {int(p): int(o) for p, o in rows}

    # --- corroborations ---------------------------------------------------------------

    def add_corroboration(self, c: Corroboration) -> None:
        value = json.dumps(
            {"version": c.version, "raw_digest": c.raw_digest, "person_id": c.person_id}
        )
        self.db.execute(
            "INSERT OR REPLACE INTO corroboration(event_id, source, record_id, value) "
            "VALUES (?, ?, ?, ?)",
            (c.event_id, c.source, c.record_id, value),
        )

    def corroborations(self, event_id: str) -> tuple[Corroboration, ...]:
        rows = self.db.execute(
            "SELECT source, record_id, value FROM corroboration WHERE event_id=? "
            "ORDER BY source, record_id",
            (event_id,),
        ).fetchall()
        out = []
        for source, record_id, value in rows:
            v = json.loads(value)
            out.append(
                Corroboration(
                    event_id,
                    source,
                    record_id,
                    int(v.get("version", 1)),
                    v.get("raw_digest", ""),
                    v.get("person_id", ""),
                )
            )
        return tuple(out)

    # --- identity merges ------------------------------------------------------------------

    def apply_merge(self, merge: IdentityMerge) -> None:
        self.db.execute("BEGIN")
        try:
            for pid in merge.absorbed:
                if pid != merge.survivor:
                    self.db.execute(
                        "INSERT OR REPLACE INTO merged(absorbed, survivor) VALUES (?, ?)",
                        (pid, merge.survivor),
                    )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def resolve_person(self, person_id: str) -> str:
        """The surviving canonical id for ``person_id`` (itself when never merged)."""
        current = person_id
        for _ in range(MAX_MERGE_CHAIN):
            row = self.db.execute(
                "SELECT survivor FROM merged WHERE absorbed=?", (current,)
            ).fetchone()
            if row is None or row[0] == current:
                return current
            current = row[0]
        return current
