"""Statistics connector: SDMX REST against the simulator, both message formats."""

from __future__ import annotations

import pytest

from connectors.statistics import StatisticsConnector
from hub.intake.validate import validate_record
from infra.agencies import statistics as stats
from infra.agencies.faults import FaultPlan
from tests.support.agencies import FAST_TRANSPORT


def connector(sim, **kw) -> StatisticsConnector:
    kw.setdefault("page_size", 500)
    return StatisticsConnector(
        "statistics", sim.url + "/statistics", transport=FAST_TRANSPORT, **kw
    )


def drain(conn, position=None):
    records = []
    for page in conn.pages(position):
        records += page.records
        position = page.position
    return records, position


def expected_count(sim, **query) -> int:
    return sum(len(obs) for _, obs in sim.state.statistics.query(**query))


@pytest.mark.parametrize("fmt", ["structurespecific", "generic"])
def test_full_pull_maps_every_observation_to_a_valid_record(make_simulator, fmt) -> None:
    sim = make_simulator(statistics_periods=12)
    records, position = drain(connector(sim, message_format=fmt, start_period="2020-01"))
    assert len(records) == expected_count(sim) == 12 * len(stats.all_series())
    first = records[0]
    assert first.record_id == "STAT-M-10-ARR-CIS-2020-01"
    results = [
        validate_record(r.body, source="statistics", record_id=r.record_id) for r in records[:200]
    ]
    assert all(r.ok for r in results), [str(f) for r in results for f in r.findings][:3]
    assert position["updated_after"] == "2021-01-15T04:00:00Z"  # Prepared of the message
    assert position["skip"] == 0


def test_saldo_is_arrivals_minus_departures(make_simulator) -> None:
    sim = make_simulator(statistics_periods=3)
    records, _ = drain(connector(sim, key="M.75..CIS"))
    from lxml import etree

    values = {}
    for r in records:
        root = etree.fromstring(r.body)
        ns = {"s": "urn:kz:mhub:statistics:1"}
        values[
            (root.findtext("s:Flow", namespaces=ns), root.findtext("s:Period", namespaces=ns))
        ] = int(root.findtext("s:Value", namespaces=ns))
    for period in ("2020-01", "2020-02", "2020-03"):
        assert (
            values[("SALDO", period)] == values[("ARRIVAL", period)] - values[("DEPARTURE", period)]
        )


def test_incremental_returns_new_periods_and_revisions_only(make_simulator) -> None:
    sim = make_simulator(statistics_periods=10)
    conn = connector(sim)
    _, position = drain(conn)
    nothing, position = drain(conn, position)
    assert nothing == []
    sim.grow("statistics", 1)  # period 10 (2020-11) published; period 7 (2020-08) revised
    new, position = drain(conn, position)
    periods = sorted(
        {r.record_id.rsplit("-", 2)[-2] + "-" + r.record_id.rsplit("-", 1)[-1] for r in new}
    )
    assert periods == ["2020-08", "2020-11"]
    revised = [r for r in new if r.record_id.endswith("2020-08")]
    assert all(b'version="2"' in r.body for r in revised)
    assert len(new) == 2 * len(stats.all_series())


def test_resume_mid_message_after_crash(make_simulator) -> None:
    sim = make_simulator(statistics_periods=6)
    conn = connector(sim, page_size=100)
    pages = conn.pages(None)
    got, committed = [], None
    for _ in range(3):
        page = next(pages)
        got += page.records
        committed = page.position
    next(pages)  # pulled, not committed: crash
    assert committed["skip"] == 300
    rest, position = drain(connector(sim, page_size=100), committed)
    ids = [r.record_id for r in got + rest]
    assert len(ids) == len(set(ids)) == expected_count(sim)
    assert position["updated_after"] == committed["scan_prepared"]


def test_one_query_per_message_when_not_interrupted(make_simulator) -> None:
    sim = make_simulator(statistics_periods=6)
    conn = connector(sim, page_size=100)
    drain(conn)
    assert conn.queries == 1


@pytest.mark.parametrize("kind", ["500", "truncated", "429", "slow"])
def test_faults(make_simulator, kind) -> None:
    sim = make_simulator(statistics_periods=4)
    sim.set_faults(FaultPlan(rates={kind: 1.0}, max_per_request=1, retry_after_s=1, slow_s=0.2))
    records, _ = drain(connector(sim))
    ids = [r.record_id for r in records]
    assert len(ids) == len(set(ids)) == expected_count(sim)


def test_no_results_is_an_empty_exhausted_page(make_simulator) -> None:
    sim = make_simulator(statistics_periods=4)
    page = connector(sim, start_period="2030-01").poll(None)
    assert page.records == [] and page.exhausted
