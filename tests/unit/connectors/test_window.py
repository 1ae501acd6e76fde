"""What a backfill window means: ``(start, end]``, months by their close, and the
windowed position that keeps the live cursor aside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import (
    BACKFILL_KEY,
    Page,
    RawRecord,
    SourceConnector,
    Window,
    WindowedConnector,
    monthly_periods,
)
from connectors.registry import connector_for
from hub.sources import SourceConfig

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


class TestWindow:
    def test_left_open_right_closed(self) -> None:
        w = Window(at(0), at(24))
        assert not w.contains(at(0))
        assert w.contains(at(0) + timedelta(microseconds=1))
        assert w.contains(at(24))
        assert not w.contains(at(24) + timedelta(microseconds=1))

    def test_parse_iso_with_zone_and_normalise_to_utc(self) -> None:
        w = Window.parse("2026-03-01T05:00:00+05:00", "2026-03-02T00:00:00Z")
        assert (w.start_iso, w.end_iso) == ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")
        assert w.to_dict() == {"start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}

    @pytest.mark.parametrize(
        ("start", "end"),
        [("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z"), ("2026-03-01T00:00:00Z",) * 2],
    )
    def test_empty_or_reversed_window_refused(self, start: str, end: str) -> None:
        with pytest.raises(ValueError, match="not before"):
            Window.parse(start, end)

    def test_naive_time_refused(self) -> None:
        with pytest.raises(ValueError, match="time zone"):
            Window.parse("2026-03-01T00:00:00", "2026-03-02T00:00:00Z")

    @given(
        st.lists(st.integers(0, 10_000), min_size=3, max_size=3, unique=True),
        st.integers(-100, 10_100),
    )
    def test_adjacent_windows_partition_time(self, cuts: list[int], t: int) -> None:
        a, b, c = (at(x / 7) for x in sorted(cuts))
        ts = at(t / 7)
        inside = [Window(a, b).contains(ts), Window(b, c).contains(ts)]
        assert sum(inside) == (1 if a < ts <= c else 0)


class TestMonthlyPeriods:
    @pytest.mark.parametrize(
        ("start", "end", "periods"),
        [
            ("2020-01-01", "2020-02-01", ("2020-01", "2020-01")),
            ("2020-01-15", "2020-02-15", ("2020-01", "2020-01")),
            ("2020-01-01", "2021-01-01", ("2020-01", "2020-12")),
            ("2019-12-31", "2020-03-01", ("2019-12", "2020-02")),
            ("2020-01-02", "2020-01-30", None),
            ("2020-02-01", "2020-02-02", None),
        ],
    )
    def test_months_closing_inside(self, start: str, end: str, periods) -> None:
        w = Window.parse(start + "T00:00:00Z", end + "T00:00:00Z")
        assert monthly_periods(w) == periods

    @given(st.integers(0, 2000), st.integers(1, 2000), st.integers(1, 2000))
    def test_adjacent_windows_never_share_a_month(self, a: int, db: int, dc: int) -> None:
        b, c = a + db, a + db + dc
        first = monthly_periods(Window(at(a * 11), at(b * 11)))
        second = monthly_periods(Window(at(b * 11), at(c * 11)))
        whole = monthly_periods(Window(at(a * 11), at(c * 11)))
        if first and second:
            assert first[1] < second[0]
        parts = [p for p in (first, second) if p]
        if parts:
            assert whole == (parts[0][0], parts[-1][1])
        else:
            assert whole is None


class ListConnector(SourceConnector):
    """A source of numbered records held in memory; position = next index."""

    family = "interior"

    def __init__(self, n: int, window: Window | None = None, page: int = 3) -> None:
        super().__init__("list")
        self.n, self.window, self.page = n, window, page
        self.committed: list[dict] = []
        self.polled: list[object] = []

    def poll(self, position):
        self.polled.append(position)
        i = (position or {}).get("next", 0)
        j = min(self.n, i + self.page)
        recs = [RawRecord("list", f"r{k}", b"<r/>") for k in range(i, j)]
        return Page(recs, {"next": j}, exhausted=j >= self.n)

    def commit(self, position) -> None:
        self.committed.append(dict(position))


class TestWindowedConnector:
    W = Window(at(0), at(24))

    def test_positions_keep_the_live_cursor_aside(self) -> None:
        conn = WindowedConnector(ListConnector(7, self.W), self.W)
        live = {"next": 100}
        pages = list(conn.pages(live))
        assert [len(p.records) for p in pages] == [3, 3, 1]
        assert pages[-1].position == {
            BACKFILL_KEY: self.W.to_dict(),
            "scan": {"next": 7},
            "resume": live,
        }
        assert conn.inner.polled[0] is None  # the scan starts at the window's beginning

    def test_resume_inside_the_same_window(self) -> None:
        conn = WindowedConnector(ListConnector(7, self.W), self.W)
        first = conn.poll({"next": 100})
        rest = list(conn.pages(first.position))
        assert conn.inner.polled[1] == {"next": 3}
        assert rest[-1].position["resume"] == {"next": 100}

    def test_another_windows_position_restarts_the_scan_keeps_resume(self) -> None:
        other = Window(at(24), at(48))
        pos = {BACKFILL_KEY: other.to_dict(), "scan": {"next": 5}, "resume": {"next": 9}}
        page = WindowedConnector(ListConnector(7, self.W), self.W).poll(pos)
        assert [r.record_id for r in page.records] == ["r0", "r1", "r2"]
        assert page.position["resume"] == {"next": 9}

    def test_commit_passes_the_inner_position(self) -> None:
        conn = WindowedConnector(ListConnector(7, self.W), self.W)
        page = conn.poll(None)
        conn.commit(page.position)
        assert conn.inner.committed == [{"next": 3}]

    def test_live_connector_resumes_where_the_live_feed_was(self) -> None:
        conn = ListConnector(7)
        pos = {BACKFILL_KEY: self.W.to_dict(), "scan": {"next": 7}, "resume": {"next": 4}}
        pages = list(conn.pages(pos))
        assert conn.polled[0] == {"next": 4}
        assert [r.record_id for p in pages for r in p.records] == ["r4", "r5", "r6"]


class TestRegistry:
    def source(self, family: str, **options) -> SourceConfig:
        return SourceConfig("s", family, "http://127.0.0.1:9/x", "owner", options=options)

    @pytest.mark.parametrize(
        ("family", "options"),
        [("interior", {}), ("labour", {}), ("statistics", {}), ("partner", {"state": "UZB"})],
    )
    def test_every_family_accepts_a_window(self, family: str, options: dict) -> None:
        w = Window(at(0), at(24))
        conn = connector_for(self.source(family, **options), window=w)
        assert isinstance(conn, WindowedConnector)
        assert conn.window == conn.inner.window == w

    def test_window_from_the_runs_source(self) -> None:
        from dataclasses import replace

        w = Window(at(0), at(24))
        conn = connector_for(replace(self.source("interior"), window=w))
        assert isinstance(conn, WindowedConnector) and conn.inner.window == w

    def test_live_source_has_no_window(self) -> None:
        conn = connector_for(self.source("interior"))
        assert not isinstance(conn, WindowedConnector) and conn.window is None
