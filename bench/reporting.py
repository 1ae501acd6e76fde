"""Progress lines and the closing RESULT line shared by the benchmarks (not bench_e2e's).

Progress goes to stderr as it happens (a long run is never silent); figures go
to stdout, and the last stdout line is ``RESULT key=value ...`` so a script can
read a run with ``tail -n 1``.
"""

from __future__ import annotations

import os
import sys
import time

#: Seconds between progress lines inside a long loop: often enough to see it move,
#: rarely enough that printing costs nothing measurable.
PROGRESS_EVERY_S = 5.0

_T0 = time.perf_counter()


def note(message: str) -> None:
    """One progress line on stderr, stamped with seconds since the bench started."""
    print(f"[{time.perf_counter() - _T0:7.1f} s] {message}", file=sys.stderr, flush=True)


class Ticker:
    """Calls :func:`note` at most every :data:`PROGRESS_EVERY_S` seconds from a hot loop."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, total
        self._start = self._last = time.perf_counter()

    def tick(self, done: int) -> None:
        now = time.perf_counter()
        if now - self._last >= PROGRESS_EVERY_S:
            self._last = now
            rate = done / (now - self._start)
            note(f"  {self.label}: {done:,}/{self.total:,} ({rate:,.0f}/s)")


def load_average() -> float:
    """The 1-minute load average: the machine is shared, so every run records it."""
    return os.getloadavg()[0]


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


def result(**fields: object) -> None:
    """Print the closing ``RESULT`` line (stdout), with the load average appended."""
    fields.setdefault("load1", round(load_average(), 2))
    print("RESULT " + " ".join(f"{k}={_fmt(v)}" for k, v in fields.items()), flush=True)
