"""Mutation score of the pure core, per module: ``make mutation``.

Runs mutmut (configuration: ``[tool.mutmut]`` in pyproject.toml: the modules, the
unit directories whose tests are run, fork-server isolation) from a clean
``mutants/`` directory, then reads its per-module results (``mutants/<module>.meta``)
and prints one row per module: killed / total and the score, and the run time.
A timeout counts as killed (the mutant broke the code); "no tests" and "survived"
count against the score. ``--report-only`` prints the table of the last run;
``--survivors`` lists the surviving mutants (``mutmut show NAME`` shows one);
``--rerun-survivors`` tests only those again, with the tests as they are now (after
adding tests: a killed mutant cannot come back unless a test was weakened).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The floor each module must reach (issue 17): lower means tests miss real faults.
TARGET_SCORE = 0.80
# mutmut exit codes that mean the mutant was detected (test failure, timeout, crash).
KILLED = {1, 3, 36, -24, 24, 152, 255, 37}
# mutmut exit code of a mutant whose function no selected test calls.
NO_TESTS = 33


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return list(config["only_mutate"])


def results(module: str) -> dict[str, int | None]:
    meta = ROOT / "mutants" / (module + ".meta")
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}


def scores() -> list[tuple[str, int, int]]:
    rows = []
    for module in modules():
        codes = results(module)
        killed = sum(1 for c in codes.values() if c in KILLED)
        rows.append((module, killed, len(codes)))
    return rows


def survivors() -> list[str]:
    return [name for module in modules() for name, code in results(module).items()
            if code is not None and code not in KILLED]


def run(max_children: int, names: list[str] | None = None) -> float:
    """A fresh mutmut run (old verdicts would otherwise stand), or a re-run of ``names``
    on the last run's results; returns seconds taken."""
    if names is None:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    started = time.monotonic()
    mutmut = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)]
    subprocess.run(mutmut + (names or []), cwd=ROOT, check=False)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--survivors", action="store_true")
    parser.add_argument("--rerun-survivors", action="store_true")
    parser.add_argument("--max-children", type=int, default=2)
    args = parser.parse_args(argv)
    if args.rerun_survivors:
        elapsed: float | None = run(args.max_children, survivors())
    elif args.report_only or args.survivors:
        elapsed = None
    else:
        elapsed = run(args.max_children)
    if args.survivors:
        print("\n".join(survivors()))
        return 0
    ok = True
    print(f"{'module':45} {'killed':>7} {'total':>6} {'score':>7}")
    for module, killed, total in scores():
        score = killed / total if total else 0.0
        ok &= score >= TARGET_SCORE
        print(f"{module:45} {killed:7d} {total:6d} {score:7.1%}")
    if elapsed is not None:
        print(f"mutation run took {elapsed / 60:.1f} min")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
