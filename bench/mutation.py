"""Mutation score of the pure core, per module: ``make mutation``.

Runs mutmut (configuration: ``[tool.mutmut]`` in pyproject.toml) against the unit
tier, then reads its per-module results (``mutants/<module>.meta``) and prints
one row per module: killed / total and the score. A timeout counts as killed (the
mutant broke the code); "no tests" and "survived" count against the score.
``--report-only`` prints the table of the last run without running again.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The floor each module must reach (issue 17): lower means tests miss real faults.
TARGET_SCORE = 0.80
KILLED = {1, 3, 36, -24, 24, 152, 255, 37}


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return list(config["only_mutate"])


def scores() -> list[tuple[str, int, int]]:
    rows = []
    for module in modules():
        meta = ROOT / "mutants" / (module + ".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        killed = sum(1 for c in codes.values() if c in KILLED)
        rows.append((module, killed, len(codes)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--max-children", type=int, default=2)
    args = parser.parse_args(argv)
    if not args.report_only:
        mutmut = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children)]
        subprocess.run(mutmut, cwd=ROOT, check=False)
    ok = True
    print(f"{'module':45} {'killed':>7} {'total':>6} {'score':>7}")
    for module, killed, total in scores():
        score = killed / total if total else 0.0
        ok &= score >= TARGET_SCORE
        print(f"{module:45} {killed:7d} {total:6d} {score:7.1%}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
