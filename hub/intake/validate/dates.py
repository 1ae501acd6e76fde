"""Dates, times and SDMX periods as the schemas write them, read for the rules."""

from __future__ import annotations

from datetime import UTC, date, datetime


def parse_when(value: str) -> date | datetime | None:
    """An xs:date (date) or xs:dateTime (aware datetime); None when Python cannot hold it."""
    try:
        if "T" in value:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return date.fromisoformat(value)
    except ValueError:
        return None


def as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def later_than(a: date | datetime, b: date | datetime) -> bool:
    """a later than b; a date against a datetime compares calendar days (each in its own zone)."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a > b
    return as_date(a) > as_date(b)


def period_start(period: str) -> date | None:
    """Start of an SDMX period YYYY, YYYY-Qn or YYYY-MM."""
    try:
        if "-Q" in period:
            year, q = period.split("-Q")
            return date(int(year), 3 * int(q) - 2, 1)
        if "-" in period:
            year, month = period.split("-")
            return date(int(year), int(month), 1)
        return date(int(period), 1, 1)
    except ValueError:
        return None
