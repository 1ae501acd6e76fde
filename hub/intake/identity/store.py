"""Where the person registry keeps its tables: SQLite by default, PostgreSQL by configuration.

The registry talks to a :class:`RegistryStore`: a few batch reads and one
batched write (:meth:`RegistryStore.write`, one transaction). Both backends share
the SQL below; only placeholders, connection set-up and the write lock differ
(PostgreSQL: ``store_postgres.py``).

Tables::

    persons(person_id PK, iin, birth_date, merged_into)      one row per canonical person
    strong_ids(ident PK, person_id, qualifier)               'iin:…' / 'doc:STATE:NUMBER' -> person
    name_keys(key, person_id) PK(key, person_id)             weak keys; namesakes share a key
    merges(seq, survivor, absorbed, evidence, at, source, published)   append-only (outbox.py)
    fact_keys(event_id PK, person_id)                        key person of an event (fact_keys.py)
    reviews(seq, kind, person_ids, identifiers, detail, at)  conflicts for a human
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from hub.errors import IdentityRace
from hub.sqlite_wal import use_wal

# SQLite caps host parameters per statement (32766 since 3.32); lookups are
# chunked well below it so one statement never fails on a large batch.
_MAX_PARAMS = 900


@dataclass(frozen=True, slots=True)
class PersonRow:
    """What the registry needs to know about a person to check new evidence."""

    person_id: str
    iin: str | None
    birth_date: str | None
    merged_into: str | None = None


@dataclass(slots=True)
class WriteBatch:
    """Everything resolved since the last flush, written in one transaction."""

    new_persons: list[PersonRow] = field(default_factory=list)
    person_updates: list[PersonRow] = field(default_factory=list)  # iin/birth date learned
    strong: list[tuple[str, str, str]] = field(default_factory=list)  # ident, person, qualifier
    names: list[tuple[str, str]] = field(default_factory=list)  # key, person
    merges: list[tuple[str, str, str]] = field(default_factory=list)  # survivor, absorbed, json
    # kind, person ids (json), identifiers (json), detail
    reviews: list[tuple[str, str, str, str]] = field(default_factory=list)
    fact_keys: list[tuple[str, str]] = field(default_factory=list)  # event id, key person
    source: str = ""  # the stage-1 source whose intake transaction will carry the merges

    def __len__(self) -> int:
        return (
            len(self.new_persons) + len(self.person_updates) + len(self.strong)
            + len(self.names) + len(self.merges) + len(self.reviews) + len(self.fact_keys)
        )


class RegistryStore(Protocol):
    """Storage behind the person registry."""

    def get_strong(self, idents: Sequence[str]) -> dict[str, tuple[str, str]]:
        """ident -> (person_id, qualifier) for those bound."""
        ...

    def get_names(self, keys: Sequence[str]) -> dict[str, list[str]]:
        """name key -> person ids holding it."""
        ...

    def get_persons(self, person_ids: Sequence[str]) -> dict[str, PersonRow]: ...

    def get_documents(self, person_id: str) -> list[tuple[str, str]]:
        """(qualifier, ident) of the documents bound to a person."""
        ...

    def unpublished_merges(self, source: str) -> list[tuple[int, str, str, str]]: ...
    def mark_merges_published(self, source: str) -> int: ...
    def get_fact_keys(self, event_ids: Sequence[str]) -> dict[str, str]: ...

    def merges_since(self, seq: int) -> list[tuple[int, str, str]]:
        """(seq, survivor, absorbed) of merges after ``seq``, oldest first."""
        ...

    def write(self, batch: WriteBatch) -> None:
        """Apply the batch in one transaction, or nothing of it: :class:`IdentityRace`
        when another writer bound one of its strong identifiers to another person."""
        ...

    def hold_writes(self) -> None:
        """Take the registry's write lock now and keep it until :meth:`write` commits or
        :meth:`release`: every other writer waits, so what is read meanwhile cannot be
        bound by another writer before this one writes (it cannot lose a race)."""
        ...

    def release(self) -> None:
        """Give up a lock :meth:`hold_writes` took, if :meth:`write` did not."""
        ...

    def reviews(self) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS persons (
        person_id TEXT PRIMARY KEY, iin TEXT, birth_date TEXT, merged_into TEXT)""",
    """CREATE TABLE IF NOT EXISTS strong_ids (
        ident TEXT PRIMARY KEY, person_id TEXT NOT NULL, qualifier TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX IF NOT EXISTS strong_ids_person ON strong_ids (person_id)",
    """CREATE TABLE IF NOT EXISTS name_keys (
        key TEXT NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (key, person_id))""",
    "CREATE INDEX IF NOT EXISTS name_keys_person ON name_keys (person_id)",
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqlStore:
    """The SQL both backends share; subclasses set the placeholder and the connection."""

    P = "?"
    _SEQ = "INTEGER PRIMARY KEY AUTOINCREMENT"
    _conn: Any

    def _schema(self) -> list[str]:
        return [
            *_SCHEMA,
            f"""CREATE TABLE IF NOT EXISTS merges (seq {self._SEQ}, survivor TEXT NOT NULL,
                absorbed TEXT NOT NULL, evidence TEXT NOT NULL, at TEXT NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS fact_keys (event_id TEXT PRIMARY KEY,
                person_id TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS reviews (seq {self._SEQ}, kind TEXT NOT NULL,
                person_ids TEXT NOT NULL, identifiers TEXT NOT NULL, detail TEXT NOT NULL,
                at TEXT NOT NULL)""",
        ]

    def _in(self, n: int) -> str:
        return ",".join([self.P] * n)

    def _select_in(self, sql: str, values: Sequence[str]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), _MAX_PARAMS):
            chunk = list(values[start : start + _MAX_PARAMS])
            cur = self._conn.execute(sql.format(params=self._in(len(chunk))), chunk)
            rows.extend(cur.fetchall())
        return rows

    def get_strong(self, idents: Sequence[str]) -> dict[str, tuple[str, str]]:
        if not idents:
            return {}
        rows = self._select_in(
            "SELECT ident, person_id, qualifier FROM strong_ids WHERE ident IN ({params})", idents
        )
        return {ident: (pid, qual) for ident, pid, qual in rows}

    def get_names(self, keys: Sequence[str]) -> dict[str, list[str]]:
        if not keys:
            return {}
        rows = self._select_in(
            "SELECT key, person_id FROM name_keys WHERE key IN ({params}) ORDER BY key, person_id",
            keys,
        )
        found: dict[str, list[str]] = {}
        for key, pid in rows:
            found.setdefault(key, []).append(pid)
        return found

    def get_persons(self, person_ids: Sequence[str]) -> dict[str, PersonRow]:
        if not person_ids:
            return {}
        rows = self._select_in(
            "SELECT person_id, iin, birth_date, merged_into FROM persons"
            " WHERE person_id IN ({params})",
            person_ids,
        )
        return {r[0]: PersonRow(*r) for r in rows}

    def get_documents(self, person_id: str) -> list[tuple[str, str]]:
        cur = self._conn.execute(
            f"SELECT qualifier, ident FROM strong_ids WHERE person_id = {self.P}"
            # a range, not LIKE: no '%' for psycopg's placeholders to trip on
            " AND ident >= 'doc:' AND ident < 'doc;' ORDER BY ident",
            (person_id,),
        )
        return [(q, i) for q, i in cur.fetchall()]

    def _add_columns(self) -> None:
        """Older registries gain the columns; their merges count as published."""
        have = {d[0] for d in self._conn.execute("SELECT * FROM merges LIMIT 0").description}
        for column in ("source TEXT NOT NULL DEFAULT ''", "published INTEGER NOT NULL DEFAULT 1"):
            if column.split()[0] not in have:
                self._conn.execute(f"ALTER TABLE merges ADD COLUMN {column}")

    def unpublished_merges(self, source: str) -> list[tuple[int, str, str, str]]:
        """(seq, survivor, absorbed, evidence) of ``source``'s merges no commit carried yet."""
        cur = self._conn.execute("SELECT seq, survivor, absorbed, evidence FROM merges"
                                 f" WHERE source = {self.P} AND published = 0 ORDER BY seq",
                                 (source,))
        return [(int(q), s, a, e) for q, s, a, e in cur.fetchall()]

    def mark_merges_published(self, source: str) -> int:
        """After ``source``'s intake commit: its written merges are all out (one writer each)."""
        cur = self._conn.execute("UPDATE merges SET published = 1"
                                 f" WHERE source = {self.P} AND published = 0", (source,))
        return int(cur.rowcount or 0)

    def get_fact_keys(self, event_ids: Sequence[str]) -> dict[str, str]:
        sql = "SELECT event_id, person_id FROM fact_keys WHERE event_id IN ({params})"
        return dict(self._select_in(sql, event_ids)) if event_ids else {}

    def merges_since(self, seq: int) -> list[tuple[int, str, str]]:
        cur = self._conn.execute(
            f"SELECT seq, survivor, absorbed FROM merges WHERE seq > {self.P} ORDER BY seq", (seq,)
        )
        return [(int(s), a, b) for s, a, b in cur.fetchall()]

    def reviews(self) -> list[dict[str, Any]]:
        cur = self._conn.execute(
            "SELECT seq, kind, person_ids, identifiers, detail, at FROM reviews ORDER BY seq"
        )
        return [
            {
                "seq": seq,
                "kind": kind,
                "person_ids": json.loads(pids),
                "identifiers": json.loads(ids),
                "detail": detail,
                "at": at,
            }
            for seq, kind, pids, ids, detail, at in cur.fetchall()
        ]

    # --- writing ---------------------------------------------------------------

    def _apply(self, cur: Any, batch: WriteBatch) -> None:
        """Run the batch's statements on an open transaction's cursor (raising rolls back)."""
        p = self.P
        if batch.new_persons:
            cur.executemany(
                f"INSERT INTO persons (person_id, iin, birth_date) VALUES ({p},{p},{p})"
                " ON CONFLICT (person_id) DO NOTHING",
                [(r.person_id, r.iin, r.birth_date) for r in batch.new_persons],
            )
        if batch.person_updates:
            cur.executemany(
                f"UPDATE persons SET iin = COALESCE(iin, {p}),"
                f" birth_date = COALESCE(birth_date, {p}) WHERE person_id = {p}",
                [(r.iin, r.birth_date, r.person_id) for r in batch.person_updates],
            )
        if batch.strong and self._insert_strong(cur, batch.strong) != len(batch.strong):
            lost = self._lost_bindings(batch.strong)
            if lost:  # its records were resolved to a person the store does not know them by
                raise IdentityRace(lost)
        if batch.names:
            cur.executemany(
                f"INSERT INTO name_keys (key, person_id) VALUES ({p},{p})"
                " ON CONFLICT (key, person_id) DO NOTHING",
                batch.names,
            )
        at = _now()
        for survivor, absorbed, evidence in batch.merges:
            cur.execute(
                f"UPDATE persons SET merged_into = {p} WHERE person_id = {p}", (survivor, absorbed)
            )
            cur.execute(
                f"UPDATE strong_ids SET person_id = {p} WHERE person_id = {p}", (survivor, absorbed)
            )
            cur.execute(
                f"INSERT INTO name_keys (key, person_id) SELECT key, {p} FROM name_keys"
                f" WHERE person_id = {p} ON CONFLICT (key, person_id) DO NOTHING",
                (survivor, absorbed),
            )
            cur.execute(f"DELETE FROM name_keys WHERE person_id = {p}", (absorbed,))
            cur.execute(
                "INSERT INTO merges (survivor, absorbed, evidence, at, source, published)"
                f" VALUES ({p},{p},{p},{p},{p},0)",
                (survivor, absorbed, evidence, at, batch.source),
            )
        if batch.fact_keys:
            cur.executemany(
                f"INSERT INTO fact_keys (event_id, person_id) VALUES ({p},{p})"
                " ON CONFLICT (event_id) DO NOTHING",
                batch.fact_keys,
            )
        if batch.reviews:
            cur.executemany(
                "INSERT INTO reviews (kind, person_ids, identifiers, detail, at)"
                f" VALUES ({p},{p},{p},{p},{p})",
                [(*r, at) for r in batch.reviews],
            )

    def _insert_strong(self, cur: Any, rows: list[tuple[str, str, str]]) -> int:
        """Insert bindings, skipping idents already bound; return how many were inserted."""
        raise NotImplementedError

    def _lost_bindings(self, wanted: Iterable[tuple[str, str, str]]) -> list[str]:
        """Idents another writer bound to another person before this batch landed."""
        wanted_map = {ident: pid for ident, pid, _ in wanted}
        actual = self.get_strong(list(wanted_map))
        return [i for i, pid in wanted_map.items() if actual.get(i, (pid,))[0] != pid]


class SqliteStore(SqlStore):
    """The embedded default: one file under var/, WAL, one connection per registry."""

    P = "?"

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in write()).
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        use_wal(self._conn)
        # NORMAL is durable against application crashes in WAL mode; an OS crash may
        # lose the last commits, which the registry re-derives (person ids are
        # deterministic, see registry.py).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        # A writer holding the lock (hold_writes) keeps it while it judges one page.
        self._conn.execute("PRAGMA busy_timeout=30000")
        for stmt in self._schema():
            self._conn.execute(stmt)
        self._add_columns()

    def _insert_strong(self, cur: Any, rows: list[tuple[str, str, str]]) -> int:
        # total_changes counts rows this connection changed; DO NOTHING rows do not count.
        before = self._conn.total_changes
        cur.executemany(
            "INSERT INTO strong_ids (ident, person_id, qualifier) VALUES (?,?,?)"
            " ON CONFLICT (ident) DO NOTHING",
            rows,
        )
        return int(self._conn.total_changes - before)

    def write(self, batch: WriteBatch) -> None:
        if not len(batch):
            return
        cur = self._conn.cursor()
        if not self._conn.in_transaction:  # else: hold_writes() began it
            cur.execute("BEGIN IMMEDIATE")
        try:
            self._apply(cur, batch)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def hold_writes(self) -> None:
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        # COMMIT, not ROLLBACK: statements run while holding (marking merges published)
        # must stay; write() has already rolled back a refused batch.
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()


def open_store(url: str | Path) -> RegistryStore:
    """``postgresql://…`` or ``postgres://…`` (or a ``host=… dbname=…`` conninfo) -> PostgreSQL;
    anything else is an SQLite file path (``sqlite:///path`` accepted)."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")) or "dbname=" in text:
        from hub.intake.identity.store_postgres import PostgresStore

        return PostgresStore(text)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") - 1 :] if text.startswith("sqlite:////") else text[10:]
    return SqliteStore(text)
