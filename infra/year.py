"""A generated year with known totals, end to end: ``python -m infra.year --targets FILE.toml``.

Generates person-level records that add up to the targets (``infra/agencies/year.py`` says
how each is generated), serves them from the agency simulators, runs both hub stages, the
statistics consumer and the bureau's pseudonymised feed, writes the report and, with
``--json``, prints the figures the report computed from the events in the shape of the
targets file. Targets (each optional): ``year``, ``arrivals``, ``departures``,
``[balance_by_group]``, ``[internal_balance_by_region]``, ``kandas_quota``,
``kandas_admissions``.

A development tool of the checkout, as the simulators it drives: it was ``mhub year``
until the product stopped importing ``infra/``; the options and output are the same.
The end-to-end tests call :func:`run_year` and :func:`publish_year` directly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.config import Settings, load_settings
from hub.sources import SourceConfig

# Records per page (and per stage-1 transaction): a few pages for a test year.
YEAR_BATCH_SIZE = 500
OWNER = "statistics@example.kz"


@dataclass
class YearRun:
    figures: Any  # hub.statistics.figures.Figures
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
    from hub.reports.statistics import build_statistics_report
    from hub.statistics.consumer import consume_statistics

    plan = publish_year(
        targets, settings, drop_arrivals=drop_arrivals, quarantine_arrivals=quarantine_arrivals
    )
    consumed = consume_statistics(settings)
    feed = run_bureau_feed(settings)
    built = build_statistics_report(settings, period or str(targets.year), out_dir=out_dir)
    return YearRun(built.figures, built.paths, consumed, feed, plan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.year",
                                     description="a generated year with known totals, end to end")
    parser.add_argument("--targets", type=Path, required=True, help="TOML file of year totals")
    parser.add_argument("--json", action="store_true", help="print the computed figures as JSON")
    parser.add_argument("--out", type=Path, default=None, help="report folder")
    args = parser.parse_args(argv)
    from hub.kafka.topics import ensure_topics, topics_for
    from infra.agencies.year import Targets

    settings = load_settings()
    ensure_topics(topics_for(settings).specs(), settings)
    result = run_year(Targets.load(args.targets), settings, out_dir=args.out)
    if args.json:
        print(json.dumps(result.figures.targets_shape(), ensure_ascii=False, indent=2))
    else:
        print(f"report: {result.reports['index']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
