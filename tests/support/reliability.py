"""The reliability table: every fault and attack the suites tried, with what was observed.

A test calls :func:`record_outcome` once it has checked a case; the rows are
collected during the session and ``docs/reliability.md`` is written when the
session ends (rows from areas not run in this session are kept from the last
file, so running one suite does not erase another's), sorted, with the date.
Nothing here decides a test's verdict: a row is written only after the
test's own assertions held.
"""

from __future__ import annotations

import atexit
import datetime as dt
import threading
from pathlib import Path

from hub.config import PROJECT_ROOT

REPORT = PROJECT_ROOT / "docs" / "reliability.md"
_HEADER = "| Area | Fault or attack | Observed outcome | Checked |"
_RULE = "|---|---|---|---|"

_rows: dict[tuple[str, str], tuple[str, str]] = {}
_lock = threading.Lock()
_registered = False


def record_outcome(area: str, case: str, outcome: str) -> None:
    """Note what a fault or attack did; the table is written at the end of the session."""
    global _registered
    today = dt.datetime.now(dt.UTC).date().isoformat()
    with _lock:
        _rows[(_cell(area), _cell(case))] = (_cell(outcome), today)
        if not _registered:
            atexit.register(write_report)
            _registered = True


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "/")


def _previous(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    rows: dict[tuple[str, str], tuple[str, str]] = {}
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and line.startswith("| ") and line != _HEADER:
            rows[(cells[0], cells[1])] = (cells[2], cells[3])
    return rows


def write_report(path: Path = REPORT) -> Path | None:
    """Merge this session's rows into the table and write it (nothing recorded: no write)."""
    with _lock:
        if not _rows:
            return None
        rows = {**_previous(path), **_rows}
    today = dt.datetime.now(dt.UTC).date().isoformat()
    lines = [
        "# Reliability: faults and attacks tried, and what happened",
        "",
        "Written by the test suites themselves (`tests/support/reliability.py`): each row is",
        "recorded by a test after its own assertions held, so a row is an observation, not a",
        f"promise. Regenerate with `make test`. Last written {today}.",
        "",
        _HEADER,
        _RULE,
        *(f"| {a} | {c} | {o} | {d} |" for (a, c), (o, d) in sorted(rows.items())),
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
