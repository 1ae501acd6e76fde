"""The statistics report renders in headless Chromium; the screenshot is kept under var/."""

from __future__ import annotations

from pathlib import Path

from hub.config import load_settings
from hub.reports.statistics import build_statistics_report
from hub.statistics import definitions as d
from hub.statistics.consumer import store_path
from hub.statistics.store import FactStore
from tests.support.chromium import ARTEFACTS, run_chromium


def test_report_renders_and_screenshot_is_kept(tmp_path: Path) -> None:
    settings = load_settings({"HUB_VAR_DIR": str(tmp_path / "var")})
    with FactStore(store_path(settings)) as store:
        for i, (kind, region, country) in enumerate(
            [(d.ARRIVAL, "71", "UZB"), (d.ARRIVAL, "75", "CHN"), (d.DEPARTURE, "31", "RUS")] * 5
        ):
            store.apply(
                f"e{i}",
                1,
                "interior",
                d.Fact(kind, f"2006-0{1 + i % 3}-10", region, country=country),
            )
        store.apply("m1", 1, "labour", d.Fact(d.INTERNAL, "2006-02-01", "31", "71"))
        for region, persons in (("71", 40), ("39", 25)):
            quota = d.Fact(d.KANDAS_QUOTA, "2005-12-20", region, quota_year="2006", value=persons)
            store.apply(f"q{region}", 1, "labour", quota)
        for i in range(7):
            admitted = d.Fact(d.KANDAS, "2006-03-01", "71", status="ADMITTED", quota_year="2006")
            store.apply(f"k{i}", 1, "labour", admitted)
    report = build_statistics_report(settings, "2006-Q1", out_dir=tmp_path / "r")
    page = report.paths["index"].read_text()
    assert "Astana" in page and "2006-Q1" in page and "persons" in page
    assert "src='kandas_quota_use.png'" in page and "Kostanay Region" in page
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "statistics-report.png"
    profile = tmp_path / "chromium-profile"
    proc = run_chromium(profile, f"--screenshot={shot}", "--window-size=1300,3000",
                        report.paths["index"].as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
