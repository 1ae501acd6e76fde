"""``mhub sources list|check``: the configured sources, and whether each one is usable.

``check`` validates every ``[[source]]`` table as the DAG file loads it (family,
options per family, schedule as cron, endpoint URL shape, numbers) and names
every bad source with what is wrong; exit 1 when any is bad, so a deployment
pipeline can run it before shipping a sources file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.sources import load_each


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["list", "check"],
        help="list: every good source with family, schedule and endpoint; "
        "check: every source's problems, exit 1 when any source is bad",
    )
    parser.add_argument("--file", type=Path, help="sources file (default HUB_SOURCES_FILE)")


def run(args: argparse.Namespace) -> int:
    sources, problems = load_each(args.file)
    if args.action == "list":
        for s in sources:
            print(f"{s.name:24} {s.family:10} {s.schedule:14} {s.endpoint or '(file drop)'}")
    else:
        for s in sources:
            print(f"ok   {s.name}")
    for problem in problems:
        print(f"BAD  {problem}", file=sys.stderr)
    if args.action == "check":
        print(f"{len(sources)} sources ok, {len(problems)} bad")
    return 1 if problems else 0
