"""The reliability table: every fault and attack the suites try, with what was observed.

Tests call :func:`record_outcome` with what they saw (after their assertions, so
a row is written only for an outcome the test checked); at the end of the
session :func:`write_table` merges the rows into ``docs/reliability.md`` (under
pytest-xdist the workers pass their rows to the controller, which writes): a row
of the same area and case is replaced, others are kept, so running one suite
does not erase another's rows. Rows are sorted and dated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hub.config import PROJECT_ROOT

TABLE = PROJECT_ROOT / "docs" / "reliability.md"
_HEADER = """# Reliability: faults and attacks tried, and what was observed

Written by the test suites themselves (`tests/support/reliability.py`): each row is
recorded by a test after its assertions passed, on the date shown. Regenerate with
`make test` (or run the suites named in the rows).

"""
_COLUMNS = "| Area | Case | Observed outcome | Date |\n|---|---|---|---|\n"

_rows: dict[tuple[str, str], tuple[str, str]] = {}


def record_outcome(area: str, case: str, outcome: str) -> None:
    """Note one case's observed outcome for the table written at session end."""
    _rows[(area, case)] = (outcome, dt.date.today().isoformat())


def export_rows() -> list[list[str]]:
    """This process's rows as plain lists: a test worker hands them to the controller,
    which alone writes the table (two workers writing it at once would lose rows)."""
    return [[a, c, o, d] for (a, c), (o, d) in _rows.items()]


def import_rows(rows: list[list[str]]) -> None:
    """Take a worker's rows (:func:`export_rows`) into this process's."""
    for area, case, outcome, date in rows:
        _rows[(area, case)] = (outcome, date)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _existing(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    rows: dict[tuple[str, str], tuple[str, str]] = {}
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and line.startswith("| ") and cells[0] not in ("Area", "---"):
            rows[(cells[0], cells[1])] = (cells[2], cells[3])
    return rows


def write_table(path: Path = TABLE) -> Path | None:
    """Merge this session's rows into the table; nothing is written if none were recorded."""
    if not _rows:
        return None
    rows = _existing(path)
    rows.update({(_cell(a), _cell(c)): (_cell(o), d) for (a, c), (o, d) in _rows.items()})
    lines = [f"| {a} | {c} | {o} | {d} |\n" for (a, c), (o, d) in sorted(rows.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = f"Last written {dt.date.today().isoformat()}.\n\n"
    path.write_text(_HEADER + stamp + _COLUMNS + "".join(lines), encoding="utf-8")
    return path
