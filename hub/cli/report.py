"""``mhub report [--period 2006|2006-Q1|2006-03]``: the migration statistics report.

Updates the statistics from the event topics first (the consumer resumes where
it stopped), then writes HTML, a PNG per chart and a CSV per table.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from hub.config import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--period", default=str(datetime.now(UTC).year),
        help="YYYY, YYYY-Qn or YYYY-MM (default: this year)",
    )
    parser.add_argument("--out", type=Path, default=None,
                        help="report folder (default <HUB_VAR_DIR>/reports/statistics/PERIOD)")
    parser.add_argument("--no-consume", action="store_true",
                        help="report the stored figures without reading new events first")


def run(args: argparse.Namespace) -> int:
    from hub.reports.statistics import build_statistics_report
    from hub.statistics.consumer import consume_statistics

    settings = load_settings()
    if not args.no_consume:
        consume_statistics(settings)
    report = build_statistics_report(settings, args.period, out_dir=args.out)
    for name, path in report.paths.items():
        print(f"{name}: {path}")
    return 0
