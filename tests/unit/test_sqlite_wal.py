"""Processes opening a new SQLite file at once all get it in WAL mode, none is refused.

Without the retry, SQLite refused one contender of six "database is locked" in about
one trial in ten on this machine (the metrics test's two task processes met it in CI).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from hub.sqlite_wal import use_wal

PROCESSES = 6
TRIALS = 20


def _open_and_count(path: str, start: multiprocessing.synchronize.Barrier,
                    results: multiprocessing.Queue) -> None:
    try:
        start.wait()
        db = sqlite3.connect(path, timeout=10, isolation_level=None)
        use_wal(db)
        db.execute("CREATE TABLE IF NOT EXISTS hits (k TEXT PRIMARY KEY, n INTEGER)")
        db.execute("INSERT INTO hits VALUES ('a', 1) ON CONFLICT(k) DO UPDATE SET n = n + 1")
        results.put("ok")
    except Exception as exc:  # the test reports what the process met
        results.put(repr(exc))


def test_processes_opening_a_new_file_together_all_get_wal(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    for trial in range(TRIALS):
        path = str(tmp_path / f"trial-{trial}.sqlite")
        start, results = ctx.Barrier(PROCESSES), ctx.Queue()
        procs = [ctx.Process(target=_open_and_count, args=(path, start, results))
                 for _ in range(PROCESSES)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        outcomes = [results.get(timeout=5) for _ in procs]
        assert outcomes == ["ok"] * PROCESSES, (trial, outcomes)
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT n FROM hits").fetchone()[0] == PROCESSES
        db.close()


def test_an_in_memory_database_needs_no_wal() -> None:
    use_wal(sqlite3.connect(":memory:"))  # returns at once: "memory" is final


def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite")
    db.close()
    with pytest.raises(sqlite3.ProgrammingError):  # at once, not after the switch timeout
        use_wal(db)
