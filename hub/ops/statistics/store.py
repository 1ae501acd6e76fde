"""The statistics' state: one row per event id, the fact of its latest version.

Counting is a query over these rows, so an event re-delivered after a crash
(same id, same version) changes nothing and a correction (same id, higher
version) replaces what it corrects. SQLite in WAL mode: a commit per event
costs microseconds, not an fsync, and survives a process crash.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import astuple, fields
from pathlib import Path

from hub.ops.statistics.definitions import Fact

_COLUMNS = tuple(f.name for f in fields(Fact))
_Q = {c: f'"{c}"' for c in ("event_id", "version", "source", *_COLUMNS)}  # "group" is SQL
_TYPE = {"value": "INTEGER", "used": "INTEGER"}
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS facts (
    event_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    {", ".join(f"{_Q[c]} {_TYPE.get(c, 'TEXT')} NOT NULL" for c in _COLUMNS)}
);
CREATE INDEX IF NOT EXISTS facts_kind_day ON facts(kind, day);
"""


class FactStore:
    """Facts by event id; ``apply`` is idempotent and keeps the highest version."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def apply(self, event_id: str, version: int, source: str, fact: Fact) -> bool:
        """Record ``fact`` for ``event_id`` unless a version as new is already there."""
        cols = ("event_id", "version", "source", *_COLUMNS)
        sets = ", ".join(f"{_Q[c]}=excluded.{_Q[c]}" for c in cols[1:])
        cur = self._db.execute(
            f"INSERT INTO facts ({', '.join(_Q[c] for c in cols)}) "
            f"VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT(event_id) DO UPDATE SET {sets} WHERE excluded.version > facts.version",
            (event_id, version, source, *astuple(fact)),
        )
        self._db.commit()
        return cur.rowcount > 0

    def facts(self, kinds: tuple[str, ...], first_day: str, last_day: str) -> Iterator[Fact]:
        """Facts of ``kinds`` whose day lies in [first_day, last_day]."""
        marks = ", ".join("?" * len(kinds))
        rows = self._db.execute(
            f"SELECT {', '.join(_Q[c] for c in _COLUMNS)} FROM facts WHERE kind IN ({marks}) "
            "AND day >= ? AND day <= ? ORDER BY event_id",
            (*kinds, first_day, last_day),
        )
        for row in rows:
            yield Fact(*row)

    def sources(self, kinds: tuple[str, ...]) -> dict[str, int]:
        """Events per source among ``kinds`` (who reports these figures)."""
        marks = ", ".join("?" * len(kinds))
        rows = self._db.execute(
            f"SELECT source, COUNT(*) FROM facts WHERE kind IN ({marks}) GROUP BY source",
            kinds,
        )
        return dict(rows.fetchall())

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM facts").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FactStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
