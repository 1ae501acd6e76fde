"""Identity and fact dedup quality on a labelled set (the fast version of bench_dedup_quality)."""

from __future__ import annotations

from hub.intake.identity.registry import PersonRegistry
from hub.publish.dedup import Outcome
from infra.labelled.generator import generate
from infra.labelled.quality import evaluate, pair_score

#: Recall the brief asks for; precision of merges must be exact.
MIN_RECALL = 0.95


def test_labelled_set_quality(store_url: str) -> None:
    data = generate(400, seed=11)
    registry = PersonRegistry.open(store_url, flush_every=250)
    report = evaluate(data, registry, cache_capacity=200)
    registry.close()

    # No two different people ever share a person id.
    assert report.persons.impure_clusters == 0
    assert report.persons.precision == 1.0
    assert report.persons.recall >= MIN_RECALL
    assert report.facts.precision == 1.0
    assert report.facts.recall >= MIN_RECALL
    # Every record is counted exactly once, and the set exercises every outcome.
    assert report.stats.total == report.records
    assert all(report.stats.counts[o] > 0 for o in Outcome)
    # Published events: about one NEW per true fact (split persons add a few).
    assert report.true_facts <= report.stats.counts[Outcome.NEW] <= report.true_facts * 1.02
    # The deliberate namesakes were seen and kept apart.
    assert report.conflicts["name-key-collision"] > 0


def test_pair_score_counts_pairs() -> None:
    score = pair_score(["a", "a", "b", "b"], [1, 1, 1, 2])
    assert (score.predicted_pairs, score.true_pairs) == (2, 3)
    assert score.precision == 0.5 and round(score.recall, 3) == 0.333
    assert score.impure_clusters == 1
