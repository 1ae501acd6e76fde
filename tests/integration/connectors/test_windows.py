"""Backfill windows against the real simulators: two adjacent windows pull exactly
their own interval's records, family by family (REST by ``updatedAt``, SDMX by the
months closing in the window, file drop by mtime, partner by ``sentAt``)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

from connectors.base import Window, WindowedConnector
from connectors.filedrop import FileDropConnector
from connectors.interior import InteriorConnector
from connectors.labour import LabourConnector
from connectors.partner import PartnerConnector
from connectors.statistics import StatisticsConnector
from infra.agencies.filedrop import FileDropWriter
from infra.agencies.generator import GeneratorConfig
from tests.support.agencies import FAST_TRANSPORT

EPOCH = GeneratorConfig().epoch


def pull(conn) -> list:
    """Every record of the connector's window, committing each page as a driver would."""
    records = []
    for page in conn.pages(None):
        records += page.records
        conn.commit(page.position)
    return records


def indices_in(sim, feed: str, window: Window) -> list[int]:
    gen = sim.generator
    return [i for i in range(sim.state.count(feed)) if window.contains(gen.updated_at(feed, i))]


def ids(sim, feed: str, indices: list[int]) -> list[str]:
    return [sim.generator.ground_truth(feed, i).record_id for i in indices]


def two_windows(step: timedelta) -> tuple[Window, Window]:
    a, b, c = EPOCH + step, EPOCH + 2 * step, EPOCH + 3 * step
    return Window(a, b), Window(b, c)


class TestRest:
    def test_adjacent_windows_split_the_feed_exactly(self, make_simulator) -> None:
        sim = make_simulator(counts={"interior": 400})
        windows = two_windows(timedelta(seconds=97))  # step 1 s: 97 records each
        pulled = []
        for w in windows:
            conn = WindowedConnector(
                InteriorConnector(
                    "interior",
                    f"{sim.url}/interior",
                    page_size=20,
                    transport=FAST_TRANSPORT,
                    window=w,
                ),
                w,
            )
            got = [r.record_id for r in pull(conn)]
            assert got == ids(sim, "interior", indices_in(sim, "interior", w))
            assert len(got) == 97
            pulled.append(got)
        assert not set(pulled[0]) & set(pulled[1])
        # The window's bounds: start excluded, end included.
        assert pulled[0][0] == ids(sim, "interior", [98])[0]
        assert pulled[1][-1] == ids(sim, "interior", [291])[0]

    def test_labour_rest_channel_reads_the_window(self, make_simulator) -> None:
        sim = make_simulator(counts={"labour": 300})
        w = Window(EPOCH + timedelta(seconds=10), EPOCH + timedelta(seconds=60))
        conn = LabourConnector(
            "labour", f"{sim.url}/labour", None, page_size=16, transport=FAST_TRANSPORT, window=w
        )
        got = [r.record_id for r in pull(WindowedConnector(conn, w))]
        assert got == ids(sim, "labour", list(range(11, 61)))


class TestStatistics:
    def test_months_closing_in_each_window(self, make_simulator) -> None:
        sim = make_simulator(statistics_periods=12)
        jan_feb = Window(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 3, 1, tzinfo=UTC))
        mar_apr = Window(datetime(2020, 3, 1, tzinfo=UTC), datetime(2020, 5, 1, tzinfo=UTC))
        periods = []
        for w in (jan_feb, mar_apr):
            conn = StatisticsConnector(
                "stats", f"{sim.url}/statistics", page_size=100, transport=FAST_TRANSPORT, window=w
            )
            records = pull(WindowedConnector(conn, w))
            assert records
            periods.append({re.search(rb"<Period>([^<]+)<", r.body)[1].decode() for r in records})
        assert periods == [{"2020-01", "2020-02"}, {"2020-03", "2020-04"}]

    def test_window_without_a_month_close_pulls_nothing(self, make_simulator) -> None:
        sim = make_simulator(statistics_periods=12)
        w = Window(datetime(2020, 1, 2, tzinfo=UTC), datetime(2020, 1, 30, tzinfo=UTC))
        conn = StatisticsConnector(
            "stats", f"{sim.url}/statistics", transport=FAST_TRANSPORT, window=w
        )
        assert pull(WindowedConnector(conn, w)) == []
        assert conn.queries == 0


class TestFileDrop:
    def test_files_by_modification_time(self, make_simulator, tmp_path) -> None:
        sim = make_simulator()
        writer = FileDropWriter(sim.generator, tmp_path, batch_size=5)
        files = writer.write(4)
        base = datetime(2026, 3, 1, tzinfo=UTC)
        for n, path in enumerate(files):  # dropped at 06:00, 18:00 on day 1 and day 2
            ts = (base + timedelta(hours=6 + 12 * n)).timestamp()
            os.utime(path, (ts, ts))
        day1 = Window(base, base + timedelta(days=1))
        day2 = Window(base + timedelta(days=1), base + timedelta(days=2))
        seen = []
        for w in (day1, day2):
            conn = FileDropConnector("drop", tmp_path, settle_s=0, window=w)
            records = pull(WindowedConnector(conn, w))
            assert len(records) == 10
            seen.append({r.origin.split("#")[0] for r in records})
        assert seen == [
            {f"file:{files[0].name}", f"file:{files[1].name}"},
            {f"file:{files[2].name}", f"file:{files[3].name}"},
        ]


class TestPartner:
    def test_archive_replay_by_notice_time_acknowledged_or_not(self, make_simulator) -> None:
        feed = "partner:UZB"
        sim = make_simulator(counts={feed: 120}, lease_s=60)
        start, step = sim.generator._timeline(feed)
        # The live queue first takes and acknowledges the first 30 messages.
        live = PartnerConnector(
            "p", f"{sim.url}/partner/UZB", state="UZB", page_size=30, transport=FAST_TRANSPORT
        )
        page = live.poll(None)
        live.commit(page.position)
        windows = (
            Window(start + timedelta(seconds=step * 10), start + timedelta(seconds=step * 50)),
            Window(start + timedelta(seconds=step * 50), start + timedelta(seconds=step * 90)),
        )
        for w in windows:
            conn = PartnerConnector(
                "p",
                f"{sim.url}/partner/UZB",
                state="UZB",
                page_size=7,
                transport=FAST_TRANSPORT,
                window=w,
            )
            got = [r.record_id for r in pull(WindowedConnector(conn, w))]
            assert got == ids(sim, feed, indices_in(sim, feed, w))
            assert len(got) == 40
        # The replay leased nothing, and what it published (11..90) it acknowledged:
        # the live queue hands out message 91 next, after the first 30 it had taken.
        assert sim.state.snapshot()["queues"][feed]["leased"] == 0
        nxt = live.poll(page.position)
        assert nxt.records[0].record_id == ids(sim, feed, [91])[0]
