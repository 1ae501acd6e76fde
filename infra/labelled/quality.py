"""Precision and recall of person resolution and fact dedup on a labelled set.

Both are measured on *pairs of records*: a pair is predicted together when the
two records resolved to the same (final, canonical) person, or to the same
event id; it is truly together when the truth says same person, or same fact.
``impure_persons`` counts predicted persons that hold records of more than one
true person: the one number that must be zero (no two people merged).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from hub.intake.identity.fact_keys import FactKeys
from hub.intake.identity.registry import PersonRegistry
from hub.model.candidate import content_digest
from hub.publish.cache import BoundedIndexCache
from hub.publish.dedup import (
    DedupStats,
    IndexEntry,
    Report,
    decide,
)
from infra.labelled.generator import LabelledSet


@dataclass(frozen=True, slots=True)
class PairScore:
    precision: float
    recall: float
    predicted_pairs: int
    true_pairs: int
    impure_clusters: int


def pair_score(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> PairScore:
    """Pairwise precision/recall of a clustering against the truth (same length sequences)."""

    def pairs(counts: Counter[Hashable]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    both = pairs(Counter(zip(predicted, truth, strict=True)))
    pred = pairs(Counter(predicted))
    true = pairs(Counter(truth))
    owners: dict[Hashable, set[Hashable]] = {}
    for p, t in zip(predicted, truth, strict=True):
        owners.setdefault(p, set()).add(t)
    impure = sum(1 for ts in owners.values() if len(ts) > 1)
    return PairScore(
        precision=both / pred if pred else 1.0,
        recall=both / true if true else 1.0,
        predicted_pairs=pred,
        true_pairs=true,
        impure_clusters=impure,
    )


@dataclass(slots=True)
class QualityReport:
    records: int
    persons: PairScore
    facts: PairScore
    stats: DedupStats
    true_facts: int
    conflicts: Counter[str] = field(default_factory=Counter)
    merges: int = 0
    split_facts: int = 0  # true facts published under more than one event id
    shared_ids: int = 0  # published event ids that stand for more than one true fact


# Records between calls of evaluate's progress callback.
PROGRESS_EVERY = 1_000


def evaluate(
    data: LabelledSet,
    registry: PersonRegistry,
    cache_capacity: int,
    *,
    rekey: bool = True,
    progress: Callable[[int], None] | None = None,
) -> QualityReport:
    """Run resolution and dedup over the set in order, as stages 1 and 2 would.

    ``rekey=False`` keys every record by its canonical person, as before
    :mod:`hub.intake.identity.fact_keys`, to count what that costs. ``progress``
    (if given) is called with the records done every :data:`PROGRESS_EVERY` records.
    """
    facts = FactKeys(registry, enabled=rekey)
    backing: dict[bytes, IndexEntry] = {}
    cache = BoundedIndexCache(cache_capacity, backing.get)
    stats = DedupStats()
    conflicts: Counter[str] = Counter()
    merges = 0
    person_of: list[str] = []
    fact_of: list[object] = []
    for n, rec in enumerate(data.records):
        if progress is not None and not n % PROGRESS_EVERY:
            progress(n)
        res = registry.resolve(rec.ids)
        merges += len(res.merges)
        conflicts.update(c.kind.value for c in res.conflicts)
        person_of.append(res.person_id)
        has_iin = bool(rec.ids.iin)
        _key, eid_text, key_person = facts.key(
            rec.record_type, res.person_id, rec.fields, has_iin=has_iin
        )
        eid = uuid.UUID(eid_text)
        digest = content_digest(key_person, rec.fields)
        decision = decide(Report(eid, rec.source, rec.record_id, rec.version, digest), cache)
        backing.update(decision.writes)  # the dedup index topic, as stage 2 writes it
        cache.apply(decision)
        stats.record(decision)
        fact_of.append(decision.event_id)
    facts.flush()
    final_persons = [registry.canonical(p) for p in person_of]
    return QualityReport(
        records=len(data.records),
        persons=pair_score(final_persons, [r.person_truth for r in data.records]),
        facts=pair_score(fact_of, [r.fact_truth for r in data.records]),
        stats=stats,
        true_facts=len({r.fact_truth for r in data.records}),
        conflicts=conflicts,
        merges=merges,
        **_splits(fact_of, [r.fact_truth for r in data.records]),
    )


def _splits(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> dict[str, int]:
    ids_of: dict[Hashable, set[Hashable]] = {}
    facts_of: dict[Hashable, set[Hashable]] = {}
    for p, t in zip(predicted, truth, strict=True):
        ids_of.setdefault(t, set()).add(p)
        facts_of.setdefault(p, set()).add(t)
    return {
        "split_facts": sum(1 for s in ids_of.values() if len(s) > 1),
        "shared_ids": sum(1 for s in facts_of.values() if len(s) > 1),
    }
