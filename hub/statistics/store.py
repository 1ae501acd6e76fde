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

from hub.sqlite_wal import use_wal
from hub.statistics.definitions import Fact

_COLUMNS = tuple(f.name for f in fields(Fact))
_KEYS = ("event_id", "version", "source", "record_id", "updated_at")
_Q = {c: f'"{c}"' for c in (*_KEYS, *_COLUMNS)}  # "group" is SQL
_TYPE = {"value": "INTEGER", "used": "INTEGER"}
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS facts (
    event_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    record_id TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT '',
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
        use_wal(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(facts)")}
        for col in ("record_id", "updated_at"):  # stores written before these columns
            if col not in have:
                self._db.execute(f"ALTER TABLE facts ADD COLUMN {col} TEXT NOT NULL DEFAULT ''")

    def apply(
        self,
        event_id: str,
        version: int,
        source: str,
        fact: Fact,
        *,
        record_id: str = "",
        updated_at: str = "",
    ) -> bool:
        """Record ``fact`` for ``event_id`` unless a version as new is already there.

        ``record_id`` and ``updated_at`` are the agency's record id and the time it
        recorded this version: the reconciliation's evidence (quarantine, late
        corrections).
        """
        cols = (*_KEYS, *_COLUMNS)
        sets = ", ".join(f"{_Q[c]}=excluded.{_Q[c]}" for c in cols[1:])
        cur = self._db.execute(
            f"INSERT INTO facts ({', '.join(_Q[c] for c in cols)}) "
            f"VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT(event_id) DO UPDATE SET {sets} WHERE excluded.version > facts.version",
            (event_id, version, source, record_id, updated_at, *astuple(fact)),
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

    def record_ids(self, source: str) -> set[str]:
        """The agency record ids of ``source`` that reached the statistics."""
        rows = self._db.execute("SELECT record_id FROM facts WHERE source = ?", (source,))
        return {r[0] for r in rows if r[0]}

    def corrections_after(
        self, kinds: tuple[str, ...], first_day: str, last_day: str, after: str
    ) -> Iterator[Fact]:
        """Facts of corrected events (version > 1) the agency recorded after ``after``."""
        marks = ", ".join("?" * len(kinds))
        rows = self._db.execute(
            f"SELECT {', '.join(_Q[c] for c in _COLUMNS)} FROM facts WHERE kind IN ({marks}) "
            "AND day >= ? AND day <= ? AND version > 1 AND updated_at > ?",
            (*kinds, first_day, last_day, after),
        )
        for row in rows:
            yield Fact(*row)

    def latest_update(self, kinds: tuple[str, ...], first_day: str, last_day: str) -> str:
        """The latest ``updated_at`` among facts of ``kinds`` (the bureau's publication)."""
        marks = ", ".join("?" * len(kinds))
        row = self._db.execute(
            f"SELECT MAX(updated_at) FROM facts WHERE kind IN ({marks}) AND day >= ? AND day <= ?",
            (*kinds, first_day, last_day),
        ).fetchone()
        return str(row[0] or "")

    def latest_year(self) -> str:
        """The latest year in which the hub saw a fact happen, or "".

        The bureau's rows and quotas (set for years ahead) do not count: a report
        of a year with only those would have no flows of the hub's own.
        """
        row = self._db.execute(
            "SELECT max(substr(day, 1, 4)) FROM facts WHERE day != '' AND kind NOT IN "
            "('', 'quota', 'kandas-quota') AND kind NOT LIKE 'bureau-%'"
        ).fetchone()
        return str(row[0] or "")

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM facts").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FactStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
