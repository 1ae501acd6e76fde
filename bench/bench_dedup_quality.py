"""Precision and recall of person resolution and fact dedup on a labelled generated set.

    python bench/bench_dedup_quality.py [--quick] [--people N] [--seeds 1 2 3] [--cache N]

The set (infra.labelled.generator): people of six citizenships with names in
Cyrillic and the Latin spellings agencies use, IIN-only, document-only and
combined records, replays, corrections, stale re-sends, partner notices of the
same crossings, birth-date typos and deliberate namesakes. The Latin spellings
come from tables written apart from the product's transliteration
(infra.labelled.spellings and the generator's own styles), so the set does not
measure the matching key against itself. Exits non-zero if two different
people were ever merged or a recall falls below 0.95; the closing ``RESULT``
line gives the worst seed's figures and whether they meet the targets
(precision 1.0, recall at least 0.997).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reporting import Ticker, note, result
from hub.intake.identity.registry import PersonRegistry
from hub.publish.dedup import Outcome
from infra.labelled.generator import generate
from infra.labelled.quality import PairScore, evaluate

MIN_RECALL = 0.95
# The targets of the throughput issue: no two people merged, recall at least this.
TARGET_RECALL = 0.997


def _line(label: str, score: PairScore) -> str:
    return (
        f"  {label:<8} precision {score.precision:.4f}  recall {score.recall:.4f}"
        f"  (pairs predicted {score.predicted_pairs:,}, true {score.true_pairs:,},"
        f" impure clusters {score.impure_clusters})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small set, about a second")
    parser.add_argument("--people", type=int)
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--cache", type=int, help="dedup cache capacity (small forces eviction)")
    args = parser.parse_args()
    people = args.people or (1_000 if args.quick else 20_000)
    seeds = args.seeds or ([1] if args.quick else [1, 2, 3])
    ok = True
    worst: dict[str, float] = {}
    for seed in seeds:
        note(f"seed {seed}: generating {people:,} people ...")
        data = generate(people, seed=seed)
        ticker = Ticker(f"seed {seed} records", len(data.records))
        with tempfile.TemporaryDirectory() as tmp:
            registry = PersonRegistry.open(Path(tmp) / "registry.db")
            start = time.perf_counter()
            report = evaluate(data, registry, cache_capacity=args.cache or max(100, people // 10),
                              progress=ticker.tick)
            elapsed = time.perf_counter() - start
            registry.close()
        counts = {o.value: report.stats.counts[o] for o in Outcome}
        print(f"seed {seed}: {len(data.people):,} people, {report.records:,} records,"
              f" {report.true_facts:,} true facts, {elapsed:.1f} s")
        print(_line("persons", report.persons))
        print(_line("facts", report.facts))
        print(f"  outcomes {counts}")
        print(f"  published events (new) / true facts: "
              f"{report.stats.counts[Outcome.NEW] / report.true_facts:.4f}")
        print(f"  merges {report.merges}, conflicts for review {dict(report.conflicts)}")
        if report.persons.impure_clusters or report.facts.impure_clusters:
            print("  FAIL: different people or facts were merged")
            ok = False
        if min(report.persons.recall, report.facts.recall) < MIN_RECALL:
            print(f"  FAIL: recall below {MIN_RECALL}")
            ok = False
        sys.stdout.flush()
        for kind, score in (("persons", report.persons), ("facts", report.facts)):
            for name in ("precision", "recall"):
                key = f"{kind}_{name}"
                worst[key] = min(worst.get(key, 1.0), getattr(score, name))
    meets = min(worst["persons_recall"], worst["facts_recall"]) >= TARGET_RECALL and min(
        worst["persons_precision"], worst["facts_precision"]) == 1.0
    result(seeds=len(seeds), people=people, **{k: round(v, 4) for k, v in worst.items()},
           meets_target=meets, independent_spellings=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
