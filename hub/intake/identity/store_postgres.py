"""The person registry on PostgreSQL (``HUB_REGISTRY_URL``), through psycopg 3.

The SQL is :class:`~hub.intake.identity.store.SqlStore`'s; this module differs in
placeholders, the connection and the write lock: every write takes one transaction-level
advisory lock first, so a writer holding it (:meth:`PostgresStore.hold_writes`) makes the
others wait, as SQLite's single writer lock does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.errors import ConfigError, StateError
from hub.intake.identity.store import SqlStore, WriteBatch

# pg_advisory_xact_lock key of the registry's writes (any constant the hub alone uses).
WRITE_LOCK = 0x6D687562  # "mhub"
# ... and of its schema: CREATE TABLE IF NOT EXISTS is not safe against a concurrent
# creator (both pass the check, one fails on pg_type's unique index), and a first run's
# stage-1 processes, one per source, open a fresh registry together.
SCHEMA_LOCK = WRITE_LOCK + 1


class PostgresStore(SqlStore):
    """PostgreSQL through psycopg 3 (``HUB`` configuration passes a libpq conninfo)."""

    P = "%s"
    _SEQ = "BIGSERIAL PRIMARY KEY"

    def __init__(self, conninfo: str) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - dependency is pinned
            raise ConfigError("PostgreSQL registry needs psycopg (pip install psycopg)") from exc
        try:
            self._conn = psycopg.connect(conninfo, autocommit=True)
        except psycopg.OperationalError as exc:
            raise StateError(f"cannot connect to the registry database: {exc}") from exc
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            for stmt in self._schema():
                self._conn.execute(stmt)
            self._add_columns()

    def _select_in(self, sql: str, values: Sequence[str]) -> list[tuple[Any, ...]]:
        # One round trip whatever the batch size: = ANY(array) uses the index.
        cur = self._conn.execute(sql.replace("IN ({params})", "= ANY(%s)"), (list(values),))
        return list(cur.fetchall())

    def _insert_strong(self, cur: Any, rows: list[tuple[str, str, str]]) -> int:
        # psycopg 3 sums rowcount over executemany; DO NOTHING rows count 0.
        cur.executemany(
            "INSERT INTO strong_ids (ident, person_id, qualifier) VALUES (%s,%s,%s)"
            " ON CONFLICT (ident) DO NOTHING",
            rows,
        )
        return int(cur.rowcount)

    def write(self, batch: WriteBatch) -> None:
        if not len(batch):
            return
        if self._holding():
            with self._conn.cursor() as cur:
                try:
                    self._apply(cur, batch)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            self._conn.execute("COMMIT")
            return
        with self._conn.transaction(), self._conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            self._apply(cur, batch)

    def hold_writes(self) -> None:
        if not self._holding():
            self._conn.execute("BEGIN")
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def release(self) -> None:
        if self._holding():  # a failed transaction's COMMIT rolls it back
            self._conn.execute("COMMIT")

    def _holding(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self._conn.close()
