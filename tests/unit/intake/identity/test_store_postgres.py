"""The PostgreSQL registry created by several processes at once: the stage-1 processes of
a first run (one per source) open a fresh registry database together."""

from __future__ import annotations

import multiprocessing as mp
import uuid

from tests.support.postgres import PostgresServer

# Processes that open the store at once, and rounds of them (each on a fresh database):
# without the schema lock PostgreSQL's CREATE TABLE IF NOT EXISTS lets two creators
# collide (duplicate key in pg_type), as a bench run of three sources did.
OPENERS = 6
ROUNDS = 3
JOIN_TIMEOUT_S = 120


def _open(conninfo: str, barrier: object, errors: object) -> None:
    from hub.intake.identity.store_postgres import PostgresStore

    barrier.wait()  # type: ignore[attr-defined]
    try:
        PostgresStore(conninfo).close()
    except Exception as exc:
        errors.put(f"{type(exc).__name__}: {exc}")  # type: ignore[attr-defined]


class TestConcurrentCreation:
    def test_processes_opening_a_fresh_registry_together_all_succeed(
        self, postgres_server: PostgresServer
    ) -> None:
        ctx = mp.get_context("spawn")
        for _round in range(ROUNDS):
            conninfo = postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
            barrier, errors = ctx.Barrier(OPENERS), ctx.Queue()
            procs = [ctx.Process(target=_open, args=(conninfo, barrier, errors))
                     for _ in range(OPENERS)]
            for p in procs:
                p.start()
            for p in procs:
                p.join(JOIN_TIMEOUT_S)
            found = []
            while not errors.empty():
                found.append(errors.get())
            assert found == [] and all(p.exitcode == 0 for p in procs), found
