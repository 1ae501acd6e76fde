"""A generated year through the whole hub: simulators -> stage 1 -> stage 2 -> consumers -> report.

Used by ``mhub year --targets FILE.toml`` and by the end-to-end test. The
agency simulators and the year generator live in ``infra/agencies`` (not in
the product package): this module imports them only when it runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.config import Settings
from hub.sources import SourceConfig

# Records per page (and per stage-1 transaction): a few pages for a test year.
YEAR_BATCH_SIZE = 500
OWNER = "statistics@example.kz"


@dataclass
class YearRun:
    figures: Any  # hub.ops.statistics.figures.Figures
    reports: dict[str, Path]
    consumed: Counter[str]
    feed: Counter[str]
    plan: Any  # infra.agencies.year.YearPlan


def year_sources(url: str, year: int) -> list[SourceConfig]:
    """The three agencies of a year: interior (REST), labour (REST), bureau (SDMX)."""
    common: dict[str, Any] = {"owner": OWNER, "batch_size": YEAR_BATCH_SIZE}
    return [
        SourceConfig("interior", "interior", f"{url}/interior", **common),
        SourceConfig("labour", "labour", f"{url}/labour", **common),
        SourceConfig(
            "statistics",
            "statistics",
            f"{url}/statistics",
            options={"start_period": f"{year}-01"},
            **common,
        ),
    ]


def run_hub(settings: Settings, sources: list[SourceConfig]) -> None:
    """Both stages over every source, through their public entry points."""
    from hub.intake.stage import run_source
    from hub.publish.stage import intake_partitions, publish_partition

    for src in sources:
        summary = run_source(src, settings)
        if summary.state != "success":
            raise RuntimeError(f"stage 1 of {src.name} ended {summary.state}")
    for p in intake_partitions(settings):
        publish_partition(p, settings)


def publish_year(
    targets: Any, settings: Settings, *, drop_arrivals: int = 0, quarantine_arrivals: int = 0
) -> Any:
    """Generate the year and run it through both stages; return the plan (the truth)."""
    from hub.keys import open_pki
    from infra.agencies.server import AgencySimulator
    from infra.agencies.year import YearPlan
    from infra.agencies.year_serve import YearGenerator, YearStatistics

    open_pki(settings)
    plan = YearPlan.build(
        targets, drop_arrivals=drop_arrivals, quarantine_arrivals=quarantine_arrivals
    )
    sim = AgencySimulator(YearGenerator(plan), counts=plan.counts())
    sim.state.statistics = YearStatistics(plan)  # type: ignore[assignment]
    sim.start()
    try:
        run_hub(settings, year_sources(sim.url, targets.year))
    finally:
        sim.stop()
    return plan


def run_year(
    targets: Any,
    settings: Settings,
    *,
    drop_arrivals: int = 0,
    quarantine_arrivals: int = 0,
    period: str | None = None,
    out_dir: Path | None = None,
) -> YearRun:
    """Generate the year, run it through the hub, consume, report; return the figures."""
    from hub.deliver.bureau_feed import run_bureau_feed
    from hub.ops.report_statistics import build_statistics_report
    from hub.ops.statistics.consumer import consume_statistics

    plan = publish_year(
        targets, settings, drop_arrivals=drop_arrivals, quarantine_arrivals=quarantine_arrivals
    )
    consumed = consume_statistics(settings)
    feed = run_bureau_feed(settings)
    built = build_statistics_report(settings, period or str(targets.year), out_dir=out_dir)
    return YearRun(built.figures, built.paths, consumed, feed, plan)
