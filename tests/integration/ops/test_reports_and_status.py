"""Reports (charts from run summaries and statistics events) and ``mhub status``."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from hub.config import Settings
from hub.kafka.clients import producer
from hub.kafka.topics import TopicSpec, ensure_topics
from hub.ops.reports import build_reports, observation_from_event, read_statistics
from hub.ops.run_summary import PublishRunSummary, SourceRunSummary, save
from hub.ops.status import collect, render

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _obs_xml(region: str, flow: str, group: str, value: int, eid: str = "", v: int = 1) -> bytes:
    ident = f"<EventId>{eid}</EventId><EventVersion>{v}</EventVersion>" if eid else ""
    return (
        f'<Event xmlns="urn:kz:mhub:event:1">{ident}<Observation>'
        f'<Value id="REF_AREA" value="{region}"/><Value id="FLOW" value="{flow}"/>'
        f'<Value id="CIS_GROUP" value="{group}"/><ObsValue value="{value}"/>'
        "</Observation></Event>"
    ).encode()


def _runs(var: Path, sources: dict[str, int]) -> None:
    now = time.time()
    for i in range(3):
        for name, pulled in sources.items():
            s = SourceRunSummary(
                source=name,
                family="partner",
                started_at=now - 600 * (3 - i),
                pulled=pulled,
                valid=pulled - 3,
                quarantined=Counter({"xsd.invalid": 2, "sig.untrusted": 1}),
                intake=pulled - 3,
                newest_record_age_s=90.0 * (i + 1),
                backlog=0,
                state="success",
                finished_at=now,
            )
            save(s, var / "runs")
    p = PublishRunSummary(
        partition=0,
        consumed=40,
        new=30,
        replays=6,
        corroborations=4,
        published=Counter({"border": 20, "residence": 10}),
        state="success",
    )
    save(p, var / "runs")


class TestObservations:
    @pytest.mark.parametrize(
        ("xml", "expected"),
        [
            (_obs_xml("751110000", "ARR", "CIS", 12), ("75", "arrivals", True, 12.0)),
            (_obs_xml("11", "DEP", "NON_CIS", 5), ("11", "departures", False, 5.0)),
            (
                b"<O><REGION>19</REGION><DIRECTION>out</DIRECTION><OBS_VALUE>7</OBS_VALUE></O>",
                ("19", "departures", None, 7.0),
            ),
        ],
    )
    def test_sdmx_dimensions_are_read(self, xml: bytes, expected: tuple) -> None:
        o = observation_from_event(xml)
        assert o is not None and (o.region, o.flow, o.cis, o.value) == expected

    def test_net_or_unknown_flows_are_not_counted(self) -> None:
        assert observation_from_event(_obs_xml("11", "NET", "CIS", 3)) is None
        assert observation_from_event(b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>") is None


class TestReports:
    def test_charts_and_page_from_summaries(self, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path)
        _runs(tmp_path, {"partner_uzb": 50, "interior_border": 80})
        obs = [observation_from_event(_obs_xml("11", "ARR", "CIS", 9))]
        out = build_reports(settings, statistics=[o for o in obs if o])
        assert set(out) == {"records", "quarantine", "published", "lag", "migration", "index"}
        for name, path in out.items():
            if name != "index":
                assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 10_000
        page = out["index"].read_text()
        assert "partner_uzb" in page and "records.png" in page and "migration.png" in page

    def test_no_statistics_means_no_migration_chart(self, tmp_path: Path) -> None:
        _runs(tmp_path, {"partner_kgz": 10})
        out = build_reports(Settings(var_dir=tmp_path), statistics=[])
        assert "migration" not in out and not (tmp_path / "reports" / "migration.png").exists()

    def test_statistics_are_read_from_the_event_topic(
        self, kafka_settings: Settings, unique_name
    ) -> None:
        from dataclasses import replace

        from hub.kafka.topics import topics_for

        settings = replace(kafka_settings, topic_prefix=unique_name("rep") + ".")
        topic = topics_for(settings).events("statistics")
        ensure_topics([TopicSpec(topic, 2)], settings)
        prod = producer(settings)
        for i, (flow, group) in enumerate([("ARR", "CIS"), ("DEP", "CIS"), ("ARR", "NON_CIS")]):
            prod.send(
                topic, key=str(i).encode(), value=_obs_xml("47", flow, group, 10 + i, f"e{i}")
            )
        # A revised figure (version 2) of the first observation replaces version 1.
        prod.send(topic, key=b"0", value=_obs_xml("47", "ARR", "CIS", 15, "e0", v=2))
        prod.flush()
        prod.close()
        got = sorted((o.flow, o.cis, o.value) for o in read_statistics(settings))
        assert got == [
            ("arrivals", False, 12.0),
            ("arrivals", True, 15.0),
            ("departures", True, 11.0),
        ]


class TestStatus:
    def test_last_run_state_freshness_and_backlog_of_every_source(self, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path)
        _runs(tmp_path, {"partner_uzb": 50})
        save(
            SourceRunSummary(
                source="partner_kgz",
                state="failed",
                error="extract: refused",
                finished_at=time.time(),
            ),
            tmp_path / "runs",
        )
        status = collect(settings)
        by = {r["source"]: r for r in status["sources"]}
        assert by["partner_uzb"]["state"] == "success"
        # Right after a successful run the source is fresh, whatever its records' ages.
        assert 0 <= by["partner_uzb"]["freshness_s"] < 60
        assert by["partner_kgz"]["state"] == "failed" and by["partner_kgz"]["freshness_s"] is None
        assert by["partner_tjk"]["state"] == "never run"  # configured, not yet run
        text = render(status)
        assert "freshness" in text and "backlog" in text and "lag" not in text
        assert "none (caught up)" in text and "! partner_kgz: extract: refused" in text
        assert status["partitions"][0]["published"] == 30

    def test_gateway_queues_when_the_gateway_reports(self, tmp_path: Path) -> None:
        (tmp_path / "gateway").mkdir()
        (tmp_path / "gateway" / "stats.json").write_text(
            json.dumps({"partners": {"UZB": {"queued": 3, "unacked": 1, "delivered": 40}}})
        )
        status = collect(Settings(var_dir=tmp_path))
        assert status["gateway"]["UZB"]["queued"] == 3
        assert "partner gateway queues" in render(status)

    def test_cli(self, tmp_path: Path, monkeypatch, capsys) -> None:
        from hub.cli import main

        _runs(tmp_path, {"labour_permits": 7})
        monkeypatch.setenv("HUB_VAR_DIR", str(tmp_path))
        assert main(["status", "--no-airflow", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert {r["source"]: r["pulled"] for r in data["sources"]}["labour_permits"] == 7
