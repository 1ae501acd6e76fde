"""Reporting periods: a year (``2006``), a quarter (``2006-Q1``) or a month (``2006-03``)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|\d{2}))?$")


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    first_day: str  # ISO, inclusive
    last_day: str  # ISO, inclusive

    def months(self) -> list[str]:
        """``YYYY-MM`` of every month in the period, in order."""
        y1, m1 = int(self.first_day[:4]), int(self.first_day[5:7])
        y2, m2 = int(self.last_day[:4]), int(self.last_day[5:7])
        out = []
        while (y1, m1) <= (y2, m2):
            out.append(f"{y1:04d}-{m1:02d}")
            y1, m1 = (y1 + 1, 1) if m1 == 12 else (y1, m1 + 1)
        return out

    def contains(self, day: str) -> bool:
        return self.first_day <= day[:10] <= self.last_day


def parse_period(text: str) -> Period:
    """``2006`` / ``2006-Q1`` / ``2006-03``; anything else is a ValueError naming the forms."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise ValueError(f"period {text!r}: expected YYYY, YYYY-Qn or YYYY-MM")
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        first, last = 1, 12
    elif part.startswith("Q"):
        q = int(part[1])
        first, last = 3 * q - 2, 3 * q
    else:
        first = last = int(part)
        if not 1 <= first <= 12:
            raise ValueError(f"period {text!r}: month must be 01..12")
    end = calendar.monthrange(year, last)[1]
    return Period(text.strip(), f"{year:04d}-{first:02d}-01", f"{year:04d}-{last:02d}-{end:02d}")
