"""The dedup index of one intake partition: a Kafka changelog, materialised locally.

The topic ``dedup-index`` (partition *p*, co-partitioned with intake) is the
source of truth: stage 2 writes ONE message per transaction holding every
index entry the transaction decided (:func:`encode_entries`), in the same
transaction as the events, so the index costs one message per batch instead
of two per event. (Messages written by the first version, one entry each under
its 16-byte key, are still read.) A local SQLite file per partition is a materialised
view that keeps memory bounded however many keys there are: it records the
topic offset it has applied, and on start it catches up from there with
``read_committed``. It is updated only *after* a transaction commits, so it
never holds an entry Kafka does not.
"""

from __future__ import annotations

import sqlite3
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from hub.config import Settings
from hub.errors import StateError
from hub.kafka.message import Message
from hub.kafka.readers import PartitionReader
from hub.publish.dedup import IndexEntry, decode_entry, encode_entry
from hub.sqlite_wal import use_wal

#: Header naming the value format of a dedup-index message (absent: one legacy entry).
FORMAT_HEADER = "format"
ENTRIES_FORMAT = b"entries-1"
_LENGTH = struct.Struct(">H")

# Catching up reads in polls of this many records; bigger polls amortise the
# Python overhead, smaller ones keep memory flat.
CATCH_UP_POLL_RECORDS = 5_000
CATCH_UP_DEADLINE_S = 600.0
CATCH_UP_POLL_S = 1.0
# Keys per SQL IN list: under SQLite's default limit of 999 bound parameters.
GET_MANY_CHUNK = 500


class DedupStore:
    """Index entries by 16-byte key (event id or record key; see :mod:`hub.publish.dedup`)."""

    def __init__(self, path: Path, partition: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.partition = partition
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        use_wal(self.db)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS entry (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
        )
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER)")

    @property
    def applied_offset(self) -> int:
        """The next index-topic offset not yet applied here."""
        row = self.db.execute("SELECT v FROM meta WHERE k='applied'").fetchone()
        return int(row[0]) if row else 0

    def get(self, key: bytes) -> IndexEntry | None:
        row = self.db.execute("SELECT v FROM entry WHERE k=?", (key,)).fetchone()
        return decode_entry(row[0]) if row else None

    def get_many(self, keys: list[bytes]) -> dict[bytes, IndexEntry]:
        """The stored entries of ``keys`` (absent ones left out), a query per
        GET_MANY_CHUNK keys instead of one per key."""
        found: dict[bytes, IndexEntry] = {}
        for i in range(0, len(keys), GET_MANY_CHUNK):
            chunk = keys[i : i + GET_MANY_CHUNK]
            marks = ",".join("?" * len(chunk))
            for k, v in self.db.execute(f"SELECT k, v FROM entry WHERE k IN ({marks})", chunk):
                found[k] = decode_entry(v)
        return found

    def apply(self, entries: Iterable[tuple[bytes, IndexEntry]], next_offset: int) -> None:
        """Store committed entries and the offset after them, atomically."""
        encoded = _encoder()
        self.db.execute("BEGIN")
        try:
            self.db.executemany(
                "INSERT OR REPLACE INTO entry(k, v) VALUES (?, ?)",
                ((k, encoded(v)) for k, v in entries),
            )
            self.db.execute(
                "INSERT OR REPLACE INTO meta(k, v) VALUES ('applied', ?)", (next_offset,)
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM entry").fetchone()[0])

    def close(self) -> None:
        self.db.close()

    def catch_up(self, settings: Settings, topic: str) -> int:
        """Apply what the topic holds beyond ``applied_offset``; return count."""
        tp = (topic, self.partition)
        reader = PartitionReader(settings, max_poll_records=CATCH_UP_POLL_RECORDS)
        try:
            reader.assign([tp])
            end = reader.end_offsets()[tp]
            start = self.applied_offset
            begin = reader.beginning_offsets()[tp]
            if start >= end:
                return 0
            reader.seek({tp: max(start, begin)})
            applied = 0
            deadline = time.monotonic() + CATCH_UP_DEADLINE_S
            while reader.position(tp) < end:
                if time.monotonic() > deadline:
                    raise StateError(f"dedup index p{self.partition}: catch-up timed out")
                batch = reader.poll(CATCH_UP_POLL_S)
                if batch:
                    self.apply(_entries(batch), reader.position(tp))
                    applied += len(batch)
            self.apply((), reader.position(tp))
            return applied
        finally:
            reader.close()


def encode_entries(entries: Iterable[tuple[bytes, IndexEntry]]) -> bytes:
    """One message's value: each entry as 16-byte key, 2-byte length, encoded entry."""
    out = bytearray()
    encoded = _encoder()
    for key, entry in entries:
        value = encoded(entry)
        out += key + _LENGTH.pack(len(value)) + value
    return bytes(out)


def _encoder() -> Callable[[IndexEntry], bytes]:
    """encode_entry, once per entry object: a new fact's entry is written under two keys."""
    done: dict[int, tuple[IndexEntry, bytes]] = {}

    def encoded(entry: IndexEntry) -> bytes:
        hit = done.get(id(entry))
        if hit is None or hit[0] is not entry:
            hit = done[id(entry)] = (entry, encode_entry(entry))
        return hit[1]

    return encoded


def decode_entries(data: bytes) -> Iterator[tuple[bytes, IndexEntry]]:
    pos = 0
    try:
        while pos < len(data):
            key = data[pos : pos + 16]
            (n,) = _LENGTH.unpack_from(data, pos + 16)
            yield key, decode_entry(data[pos + 18 : pos + 18 + n])
            pos += 18 + n
    except struct.error as exc:
        raise StateError(f"corrupt dedup index message at byte {pos}") from exc


def _entries(msgs: list[Message]) -> Iterator[tuple[bytes, IndexEntry]]:
    for m in msgs:
        if m.value is None:
            continue
        if m.header(FORMAT_HEADER) == ENTRIES_FORMAT:
            yield from decode_entries(m.value)
        elif m.key is None:
            raise StateError(f"dedup index message {m.topic}[{m.partition}]@{m.offset} has "
                             "neither the entries format nor a key")
        else:
            yield m.key, decode_entry(m.value)
