"""Operator reports (charts from run summaries, links to the statistics) and ``mhub status``."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from hub.config import Settings
from hub.reports.operations import build_reports
from hub.reports.status import collect, render
from hub.runs.summary import PublishRunSummary, SourceRunSummary, save

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


class TestReports:
    def test_charts_and_page_from_summaries(self, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path)
        _runs(tmp_path, {"partner_uzb": 50, "interior_border": 80})
        out = build_reports(settings)
        assert set(out) == {"records", "quarantine", "published", "freshness", "index"}
        for name, path in out.items():
            if name != "index":
                assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 10_000
        page = out["index"].read_text()
        assert "partner_uzb" in page and "records.png" in page
        assert "migration.png" not in page and "No statistics report yet" in page

    def test_index_links_every_statistics_report(self, tmp_path: Path) -> None:
        """The old KATO-coded migration chart is gone; the statistics reports are linked."""
        _runs(tmp_path, {"partner_kgz": 10})
        for period in ("2006", "2007-Q1"):
            page = tmp_path / "reports" / "statistics" / period / "index.html"
            page.parent.mkdir(parents=True)
            page.write_text("<html></html>")
        out = build_reports(Settings(var_dir=tmp_path))
        assert "migration" not in out and not (tmp_path / "reports" / "migration.png").exists()
        html = out["index"].read_text()
        assert html.index("statistics/2007-Q1/index.html") < html.index(
            "statistics/2006/index.html"
        )
        assert "Migration statistics, 2006" in html


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
