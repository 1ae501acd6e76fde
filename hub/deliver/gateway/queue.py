"""The partner queues: one SQLite database holding every partner's messages AND the
Kafka offsets of the events they came from.

Exactly once per event per partner, across crashes: the feeder writes a batch's
messages and the offsets after it in one SQLite transaction, so after a crash
either both are there or neither (and the events are read again). A unique
(partner, event id, event version) is the second guard. SMEV-3-style life of a
message:

    pending --Get--> delivered --Ack--> acknowledged
       ^                |
       +-- visibility --+      (not acked in time: offered again)
    pending/delivered --retention--> expired
    acknowledged/expired --acked retention--> deleted (purged)

Settled rows (acknowledged or expired) are deleted ``acked_retention_s`` after
they settled (``queue.acked_retention_days`` in gateway.toml), at most once per
``PURGE_INTERVAL_S`` on the partners' own calls, so the database stays bounded.

Message ids are version-1 (time-based) UUIDs, as SMEV 3 prescribes, with a
random node id instead of the host's MAC address (RFC 9562 s. 6.10), so ids
sort roughly by creation time and reveal nothing about the machine.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hub.sqlite_wal import use_wal

# A partner client and the feeder may wait on each other's short transactions.
BUSY_TIMEOUT_MS = 5_000
# Purging is a range delete on an index; once a minute keeps it off every request.
PURGE_INTERVAL_S = 60.0
# Default for how long settled rows stay (gateway.toml's queue.acked_retention_days).
DEFAULT_ACKED_RETENTION_S = 7 * 86_400.0
# 48 random bits with the multicast bit set: RFC 9562's marker of a random node id.
_NODE = secrets.randbits(48) | (1 << 40)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    partner TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_version INTEGER NOT NULL,
    family TEXT NOT NULL,
    type TEXT NOT NULL,
    body BLOB,
    enqueued_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    state TEXT NOT NULL,
    visible_at REAL NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 0,
    delivered_at REAL,
    acked_at REAL,
    UNIQUE (partner, event_id, event_version)
);
CREATE INDEX IF NOT EXISTS message_next ON message (partner, state, seq);
CREATE INDEX IF NOT EXISTS message_settled ON message (state, acked_at, expires_at);
CREATE TABLE IF NOT EXISTS feed_offset (
    topic TEXT NOT NULL, part INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, part)
);
"""


def new_message_id() -> str:
    return str(uuid.uuid1(node=_NODE))


class Status(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    EXPIRED = "expired"


class AckResult(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ALREADY_ACKNOWLEDGED = "already-acknowledged"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class NewMessage:
    partner: str
    event_id: str
    event_version: int
    family: str
    type: str
    message_id: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: str
    event_id: str
    body: bytes
    deliveries: int
    expires_at: float


@dataclass(frozen=True, slots=True)
class MessageStatus:
    message_id: str
    event_id: str
    status: Status
    enqueued_at: float
    deliveries: int
    expires_at: float


class QueueStore:
    """One connection, serialised by a lock: the HTTPS server's threads share it."""

    def __init__(
        self,
        path: Path,
        *,
        visibility_timeout_s: float,
        retention_s: float,
        acked_retention_s: float = DEFAULT_ACKED_RETENTION_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.visibility_timeout_s = visibility_timeout_s
        self.retention_s = retention_s
        self.acked_retention_s = acked_retention_s
        self.clock = clock
        self._purged_at = float("-inf")
        self._lock = threading.Lock()
        self.db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        use_wal(self.db)
        # FULL: a message the feeder stored, with its offsets, survives power loss.
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def _txn(self) -> _Txn:
        return _Txn(self)

    # --- feeding ----------------------------------------------------------------------

    def offsets(self) -> dict[tuple[str, int], int]:
        with self._lock:
            rows = self.db.execute("SELECT topic, part, next_offset FROM feed_offset").fetchall()
        return {(t, int(p)): int(o) for t, p, o in rows}

    def has(self, partner: str, event_id: str, event_version: int) -> bool:
        """True when this version of the event is already in the partner's queue (any state)."""
        with self._lock:
            row = self.db.execute(
                "SELECT 1 FROM message WHERE partner=? AND event_id=? AND event_version=?",
                (partner, event_id, event_version),
            ).fetchone()
        return row is not None

    def enqueue(self, messages: Iterable[NewMessage], offsets: dict[tuple[str, int], int]) -> int:
        """Store messages and the consumed offsets after them atomically; return the new count."""
        now = self.clock()
        with self._txn() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO message (message_id, partner, event_id, event_version, "
                "family, type, body, enqueued_at, expires_at, state, visible_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                [
                    (
                        m.message_id,
                        m.partner,
                        m.event_id,
                        m.event_version,
                        m.family,
                        m.type,
                        m.body,
                        now,
                        now + self.retention_s,
                        now,
                    )
                    for m in messages
                ],
            )
            added = db.total_changes - before
            db.executemany(
                "INSERT INTO feed_offset (topic, part, next_offset) VALUES (?, ?, ?) "
                "ON CONFLICT (topic, part) DO UPDATE SET next_offset = excluded.next_offset",
                [(t, p, o) for (t, p), o in offsets.items()],
            )
        return added

    # --- partner operations ------------------------------------------------------------

    def _expire(self, db: sqlite3.Connection, now: float) -> None:
        db.execute(
            "UPDATE message SET state='expired', body=NULL "
            "WHERE state IN ('pending', 'delivered') AND expires_at <= ?",
            (now,),
        )

    def _settle(self, db: sqlite3.Connection, now: float) -> None:
        """Expire what is due, and purge long-settled rows at most once per interval."""
        self._expire(db, now)
        if now - self._purged_at >= PURGE_INTERVAL_S:
            self._purge(db, now)

    def _purge(self, db: sqlite3.Connection, now: float) -> int:
        cutoff = now - self.acked_retention_s
        cur = db.execute(
            "DELETE FROM message WHERE (state='acknowledged' AND acked_at <= ?) "
            "OR (state='expired' AND expires_at <= ?)",
            (cutoff, cutoff),
        )
        self._purged_at = now
        return cur.rowcount

    def purge(self) -> int:
        """Delete rows settled longer than the acked retention ago; return how many."""
        now = self.clock()
        with self._txn() as db:
            self._expire(db, now)
            return self._purge(db, now)

    def get(self, partner: str) -> Delivery | None:
        """The oldest message of ``partner`` that is pending or whose visibility lapsed."""
        now = self.clock()
        with self._txn() as db:
            self._settle(db, now)
            row = db.execute(
                "SELECT seq, message_id, event_id, body, deliveries, expires_at FROM message "
                "WHERE partner=? AND state IN ('pending', 'delivered') AND visible_at <= ? "
                "ORDER BY seq LIMIT 1",
                (partner, now),
            ).fetchone()
            if row is None:
                return None
            seq, message_id, event_id, body, deliveries, expires_at = row
            db.execute(
                "UPDATE message SET state='delivered', deliveries=deliveries+1, delivered_at=?, "
                "visible_at=? WHERE seq=?",
                (now, now + self.visibility_timeout_s, seq),
            )
        return Delivery(message_id, event_id, bytes(body), deliveries + 1, expires_at)

    def ack(self, partner: str, message_id: str) -> AckResult:
        now = self.clock()
        with self._txn() as db:
            self._settle(db, now)
            row = db.execute(
                "SELECT state FROM message WHERE message_id=? AND partner=?", (message_id, partner)
            ).fetchone()
            if row is None:
                return AckResult.UNKNOWN
            state = Status(row[0])
            if state is Status.ACKNOWLEDGED:
                return AckResult.ALREADY_ACKNOWLEDGED
            if state is Status.EXPIRED:
                return AckResult.EXPIRED
            # The body is no longer needed once the partner holds the message.
            db.execute(
                "UPDATE message SET state='acknowledged', acked_at=?, body=NULL WHERE message_id=?",
                (now, message_id),
            )
        return AckResult.ACKNOWLEDGED

    def status(self, partner: str, message_id: str) -> MessageStatus | None:
        now = self.clock()
        with self._txn() as db:
            self._settle(db, now)
            row = db.execute(
                "SELECT message_id, event_id, state, enqueued_at, deliveries, expires_at "
                "FROM message WHERE message_id=? AND partner=?",
                (message_id, partner),
            ).fetchone()
        if row is None:
            return None
        return MessageStatus(row[0], row[1], Status(row[2]), row[3], row[4], row[5])


class _Txn:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` under the store's lock; rollback on any error."""

    def __init__(self, store: QueueStore) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        try:
            self.store.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.store._lock.release()
            raise
        return self.store.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            self.store.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store._lock.release()
