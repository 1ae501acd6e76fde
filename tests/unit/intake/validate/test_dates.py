"""Known answers for the rules' date reading: xs:date/xs:dateTime and SDMX periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from hub.intake.validate.dates import as_date, later_than, parse_when, period_start

ALMATY = timezone(timedelta(hours=5))


@pytest.mark.parametrize(("period", "start"), [
    ("2024", date(2024, 1, 1)),
    ("2024-Q1", date(2024, 1, 1)),
    ("2024-Q2", date(2024, 4, 1)),
    ("2024-Q3", date(2024, 7, 1)),
    ("2024-Q4", date(2024, 10, 1)),
    ("2024-02", date(2024, 2, 1)),
    ("2024-12", date(2024, 12, 1)),
    ("1999", date(1999, 1, 1)),
])
def test_period_start(period: str, start: date) -> None:
    assert period_start(period) == start


@pytest.mark.parametrize("period", [
    "2024-Q5", "2024-Q0", "2024-q2", "2024-13", "2024-00", "24-Q1x", "", "year", "2024-Q",
    "2024-01-01",
])
def test_period_start_refuses_what_is_not_a_period(period: str) -> None:
    assert period_start(period) is None


def test_parse_when_reads_dates_and_makes_datetimes_aware() -> None:
    assert parse_when("2024-02-29") == date(2024, 2, 29)
    assert parse_when("2024-02-29T10:00:00") == datetime(2024, 2, 29, 10, tzinfo=UTC)
    assert parse_when("2024-02-29T10:00:00+05:00") == datetime(2024, 2, 29, 10, tzinfo=ALMATY)
    assert parse_when("2023-02-29") is None and parse_when("nonsense") is None


def test_later_than_is_strict_and_compares_days_across_kinds() -> None:
    t = datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert not later_than(t, t) and later_than(t + timedelta(seconds=1), t)
    assert not later_than(date(2024, 3, 1), date(2024, 3, 1))
    assert later_than(date(2024, 3, 2), date(2024, 3, 1))
    # a date against a datetime: calendar days only
    assert not later_than(date(2024, 3, 1), t) and not later_than(t, date(2024, 3, 1))
    assert later_than(t, date(2024, 2, 29)) and later_than(date(2024, 3, 2), t)
    assert as_date(t) == date(2024, 3, 1) and as_date(date(2024, 3, 1)) == date(2024, 3, 1)
