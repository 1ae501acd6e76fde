"""Interior REST connector against the real simulator: paging, cursor, resume, faults, mTLS."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from connectors.base import Page
from connectors.errors import SourceRejected, SourceUnavailable
from connectors.http import TransportConfig
from connectors.interior import InteriorConnector
from infra.agencies.faults import FaultPlan
from infra.agencies.generator import Rates
from tests.support.agencies import FAST_TRANSPORT, STALL_S, STALL_TRANSPORT


def pull_all(conn: InteriorConnector, position: dict | None = None) -> tuple[list, dict | None]:
    records = []
    for page in conn.pages(position):
        records += page.records
        position = page.position
        conn.commit(page.position)
    return records, position


def connector(
    sim, page_size: int = 50, transport: TransportConfig = FAST_TRANSPORT
) -> InteriorConnector:
    return InteriorConnector(
        "interior", sim.url + "/interior", page_size=page_size, transport=transport
    )


class TestFullPull:
    def test_every_record_once_in_order(self, make_simulator) -> None:
        sim = make_simulator(counts={"interior": 437})
        conn = connector(sim)
        records, position = pull_all(conn)
        truth = [sim.generator.ground_truth("interior", i) for i in range(437)]
        assert [r.record_id for r in records] == [t.record_id for t in truth]
        assert records[5].body == sim.generator.record("interior", 5)
        assert position == {
            "updated_since": truth[-1].updated_at,
            "page_token": None,
            "scan_max": None,
        }

    def test_hostile_record_passed_on_whole_between_readable_pages(self, make_simulator) -> None:
        sim = make_simulator(rates=Rates(hostile=0.05), counts={"interior": 300})
        records, _ = pull_all(connector(sim))
        assert len(records) == 300
        hostile = [i for i in range(300) if sim.generator.kind("interior", i)[0] == "hostile"]
        assert hostile, "seed should produce hostile records"
        for i in hostile:
            assert records[i].body == sim.generator.record("interior", i)
            assert records[i].record_id == sim.generator.ground_truth("interior", i).record_id


class TestIncremental:
    def test_only_new_records_after_the_cursor(self, make_simulator) -> None:
        sim = make_simulator(counts={"interior": 120})
        conn = connector(sim)
        _first, position = pull_all(conn)
        again = conn.poll(position)
        assert again.records == [] and again.exhausted
        sim.grow("interior", 75)
        second, position2 = pull_all(conn, position)
        assert [r.record_id for r in second] == [
            sim.generator.ground_truth("interior", i).record_id for i in range(120, 195)
        ]
        assert position2["updated_since"] > position["updated_since"]


class TestResume:
    def test_crash_mid_run_resumes_at_last_committed_page(self, make_simulator) -> None:
        sim = make_simulator(counts={"interior": 500})
        conn = connector(sim, page_size=40)
        committed = None
        delivered: list = []
        pages = conn.pages(None)
        for _ in range(4):  # four pages published and committed
            page = next(pages)
            delivered += page.records
            committed = page.position
        next(pages)  # a fifth page pulled, then the process "crashes" before committing it
        del conn, pages
        restarted = connector(sim, page_size=40)
        rest, _ = pull_all(restarted, committed)
        ids = [r.record_id for r in delivered + rest]
        assert ids == [sim.generator.ground_truth("interior", i).record_id for i in range(500)]

    def test_position_is_small_json(self, make_simulator) -> None:
        import json

        sim = make_simulator(counts={"interior": 100})
        page = connector(sim).poll(None)
        assert len(json.dumps(page.position)) < 200


class TestFaults:
    @pytest.mark.parametrize("kind", ["500", "503", "reset", "truncated", "slow", "timeout"])
    def test_retried_fault_kinds_still_deliver_every_record(self, make_simulator, kind) -> None:
        sim = make_simulator(counts={"interior": 120})
        sim.set_faults(
            FaultPlan(rates={kind: 1.0}, max_per_request=1, timeout_s=STALL_S, slow_s=0.2)
        )
        conn = connector(sim, transport=STALL_TRANSPORT if kind == "timeout" else FAST_TRANSPORT)
        records, _ = pull_all(conn)
        assert [r.record_id for r in records] == [
            sim.generator.ground_truth("interior", i).record_id for i in range(120)
        ]
        if kind != "slow":
            assert conn.http.retries >= 3  # one retry per page
        assert sim.state.faults.injected[kind] >= 3

    def test_429_waits_retry_after(self, make_simulator) -> None:
        sim = make_simulator(counts={"interior": 10})
        sim.set_faults(FaultPlan(rates={"429": 1.0}, max_per_request=1, retry_after_s=1))
        conn = connector(sim)
        t0 = time.monotonic()
        page = conn.poll(None)
        assert len(page.records) == 10
        assert time.monotonic() - t0 >= 1.0

    def test_source_down_names_source_and_page(self, make_simulator) -> None:
        sim = make_simulator(counts={"interior": 100})
        conn = connector(sim)
        first = conn.poll(None)
        sim.set_faults(FaultPlan(rates={"500": 1.0}, max_per_request=1000))
        with pytest.raises(SourceUnavailable) as err:
            conn.poll(first.position)
        assert err.value.source == "interior"
        assert err.value.page == f"page_token={first.position['page_token']}"
        assert "4 attempts" in str(err.value)

    def test_refused_connection_is_unavailable(self) -> None:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        conn = InteriorConnector("interior", f"http://127.0.0.1:{port}", transport=FAST_TRANSPORT)
        with pytest.raises(SourceUnavailable, match="ConnectError"):
            conn.poll(None)

    def test_4xx_is_not_retried(self, make_simulator) -> None:
        sim = make_simulator(counts={"interior": 100})
        conn = connector(sim)
        with pytest.raises(SourceRejected) as err:
            conn.poll({"page_token": "bm90LWEtdG9rZW4"})
        assert "HTTP 400" in str(err.value)
        assert conn.http.attempts == 1

    def test_retry_after_beyond_limit_gives_up_at_once(self, make_simulator) -> None:
        sim = make_simulator(counts={"interior": 10})
        sim.set_faults(FaultPlan(rates={"429": 1.0}, max_per_request=1, retry_after_s=3600))
        conn = connector(sim)
        with pytest.raises(SourceUnavailable, match="retry after 3600"):
            conn.poll(None)
        assert conn.http.attempts == 1


class TestMutualTls:
    def test_pull_over_mtls(self, make_simulator, tls_files) -> None:
        from infra.agencies.server import TlsFiles

        sim = make_simulator(
            counts={"interior": 30},
            tls=TlsFiles(str(tls_files.server_cert), str(tls_files.server_key), str(tls_files.ca)),
        )
        assert sim.url.startswith("https://")
        tls = replace(
            FAST_TRANSPORT,
            ca_bundle=str(tls_files.ca),
            client_cert=str(tls_files.client_cert),
            client_key=str(tls_files.client_key),
        )
        records, _ = pull_all(connector(sim, transport=tls))
        assert len(records) == 30

    def test_client_without_trusted_certificate_is_refused(self, make_simulator, tls_files) -> None:
        from infra.agencies.server import TlsFiles

        sim = make_simulator(
            counts={"interior": 30},
            tls=TlsFiles(str(tls_files.server_cert), str(tls_files.server_key), str(tls_files.ca)),
        )
        rogue = replace(
            FAST_TRANSPORT,
            max_attempts=1,
            ca_bundle=str(tls_files.ca),
            client_cert=str(tls_files.other_client_cert),
            client_key=str(tls_files.other_client_key),
        )
        with pytest.raises(SourceUnavailable):
            connector(sim, transport=rogue).poll(None)
        untrusting = replace(FAST_TRANSPORT, max_attempts=1)  # system CAs: server cert unknown
        with pytest.raises(SourceUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            connector(sim, transport=untrusting).poll(None)


def test_pages_is_a_page_iterator(make_simulator) -> None:
    sim = make_simulator(counts={"interior": 0})
    pages = list(connector(sim).pages(None))
    assert pages == [Page([], {"updated_since": None, "page_token": None, "scan_max": None}, True)]
