"""Switching a SQLite file to write-ahead logging, safely when processes open it at once.

WAL is a property of the file, set by the first connection that asks. When several
processes open a new file together (two task processes writing the same metrics
file, three sources opening the registry on a fresh machine), the switch needs the
file to itself, and SQLite may refuse a contender with "database is locked" at once,
without waiting out the connection's busy timeout (it does so where waiting could
deadlock). Every hub store switches through :func:`use_wal`, which retries.
"""

from __future__ import annotations

import sqlite3
import time

# How long to keep asking before the refusal is reported (a switch takes milliseconds;
# a long wait means another process holds the file, e.g. a stage in a long transaction).
WAL_SWITCH_TIMEOUT_S = 30.0
RETRY_PAUSE_S = 0.01
# Modes that end the switch: WAL, or an in-memory database (which has no WAL).
_DONE = frozenset({"wal", "memory"})


def use_wal(db: sqlite3.Connection, timeout_s: float = WAL_SWITCH_TIMEOUT_S) -> None:
    """Put ``db``'s file in WAL mode, retrying while another connection holds it."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            mode = str(db.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            if mode in _DONE:
                return
            why = f"SQLite kept journal mode {mode!r}"
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            why = str(exc)
        if time.monotonic() >= deadline:
            raise sqlite3.OperationalError(
                f"could not switch the database to WAL within {timeout_s:.0f} s: {why}")
        time.sleep(RETRY_PAUSE_S)
