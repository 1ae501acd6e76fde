"""The reliability table: every fault and attack a test tried, with what it observed.

Tests call :func:`record_outcome` (area, case, observed outcome) as they run; at
the end of the test session (interpreter exit, so it works under any runner) the
rows are merged into ``docs/reliability.md``: rows recorded now replace the same
(area, case) from earlier runs, others stay, so running one test file refreshes
its rows without dropping the rest. Rows are sorted by area then case, and the
file says when it was written. Regenerate the whole table with the fault suite,
e.g. ``.venv/bin/python -m pytest tests -q -k "fault or trust or gateway"``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import threading
from pathlib import Path

TABLE = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
_HEADER = "| area | case | observed outcome |\n| --- | --- | --- |\n"
_rows: dict[tuple[str, str], str] = {}
_lock = threading.Lock()
_registered = False


def record_outcome(area: str, case: str, outcome: str) -> None:
    """Remember one row; the table is written when the test session ends."""
    global _registered
    with _lock:
        _rows[(_cell(area), _cell(case))] = _cell(outcome)
        if not _registered:
            atexit.register(write_table)
            _registered = True


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _existing(path: Path) -> dict[tuple[str, str], str]:
    rows: dict[tuple[str, str], str] = {}
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith(("| area |", "| --- |")):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 3:
            rows[(cells[0], cells[1])] = cells[2]
    return rows


def write_table(path: Path | None = None) -> Path:
    """Merge this session's rows into the table and write it, sorted, with today's date."""
    path = path or TABLE
    with _lock:
        rows = _existing(path)
        rows.update(_rows)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    body = "".join(f"| {a} | {c} | {o} |\n" for (a, c), o in sorted(rows.items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Reliability: faults and attacks tried, and what was observed\n\n"
        f"Written by the test suite (tests/support/reliability.py) on {today}. "
        "Each row is one case a test ran against the real parts; the outcome is what "
        "the test observed and asserted.\n\n" + _HEADER + body,
        encoding="utf-8",
    )
    return path
