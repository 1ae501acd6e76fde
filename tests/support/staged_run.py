"""The Airflow tasks' functions as processes, so the crash tests kill the path production runs.

    python -m tests.support.staged_run extract --source NAME --run-id R --ref REF.json
    python -m tests.support.staged_run intake --ref REF.json --run-id R
    python -m tests.support.staged_run publish --partition P --run-id R

Each command calls exactly what the DAG's task calls (:mod:`hub.airflow.tasks`);
``extract`` writes the staged reference where XCom would keep it, and a retry
of ``intake`` reads the same reference, as an Airflow retry does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DAG_ID = "crash_test"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.staged_run")
    parser.add_argument("task", choices=("extract", "intake", "publish"))
    parser.add_argument("--source")
    parser.add_argument("--run-id", default="manual")
    parser.add_argument("--ref", type=Path)
    parser.add_argument("--partition", type=int)
    args = parser.parse_args(argv)
    from hub.airflow import tasks
    from hub.intake.stage import source_named

    if args.task == "extract":
        ref = tasks.extract(source_named(args.source), args.run_id)
        args.ref.write_text(json.dumps(ref))
        out = ref
    elif args.task == "intake":
        out = tasks.intake(json.loads(args.ref.read_text()), dag_id=DAG_ID, run_id=args.run_id)
    else:
        out = tasks.publish(args.partition, run_id=args.run_id)
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
