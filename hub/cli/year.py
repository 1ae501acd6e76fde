"""``mhub year --targets FILE.toml [--json]``: a generated year with known totals, end to end.

Generates person-level records that add up to the targets, serves them from
the agency simulators, runs both hub stages, the statistics consumer and the
bureau's pseudonymised feed, writes the report and, with ``--json``, prints the
figures the report computed from the events in the shape of the targets file.
Targets (each optional): ``year``, ``arrivals``, ``departures``,
``[balance_by_group]``, ``[internal_balance_by_region]``, ``kandas_quota``,
``kandas_admissions`` (``infra/agencies/year.py`` says how each is generated).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hub.config import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--targets", type=Path, required=True, help="TOML file of year totals")
    parser.add_argument("--json", action="store_true", help="print the computed figures as JSON")
    parser.add_argument("--out", type=Path, default=None, help="report folder")


NO_SIMULATORS = (
    "needs the agency simulators and the year generator (infra/agencies), which are part of "
    "the repository checkout, not of the installed hub: run it from a checkout "
    "(PYTHONPATH=<checkout>)"
)


def run(args: argparse.Namespace) -> int:
    from hub.errors import ConfigError
    from hub.kafka.topics import ensure_topics, topics_for
    from hub.ops.statistics.year import run_year

    try:
        from infra.agencies.year import Targets
    except ModuleNotFoundError as exc:
        raise ConfigError(NO_SIMULATORS) from exc
    settings = load_settings()
    ensure_topics(topics_for(settings).specs(), settings)
    result = run_year(Targets.load(args.targets), settings, out_dir=args.out)
    if args.json:
        print(json.dumps(result.figures.targets_shape(), ensure_ascii=False, indent=2))
    else:
        print(f"report: {result.reports['index']}")
    return 0
