"""The soak's final count: lost, split and merged facts counted apart.

The run that "once reported lost=1 split=4" (seed 2, before the entry-ban key took
the ban's end date) had one entry ban published as a corroboration of another ban
of the same person (one event id, two facts: the fact lost) and five crossings
published under two event ids each. The old count, event ids minus facts, netted
the two into ``split=4``.
"""

from __future__ import annotations

from infra.soak import count_facts


def test_the_old_run_is_counted_as_it_was() -> None:
    facts = {"interior:96", "interior:2237"} | {f"interior:{i}" for i in range(5)}
    events = [("ban-96", "interior:96")]
    events += [(f"e{i}-{n}", f"interior:{i}") for i in range(5) for n in (1, 2)]
    # both reports of the second ban became corroborations of the first ban's event
    corroborations = [("ban-96", "interior:2237"), ("ban-96", "interior:2237")]
    count = count_facts(facts, events, corroborations)
    assert (count.lost, count.split, count.merged) == (1, 5, 1)
    assert count.examples["lost"] == ["interior:2237"]
    assert count.examples["merged"] == ["ban-96"] and not count.ok
    distinct_ids = len({e for e, _ in events})
    assert distinct_ids - len(facts) == 4  # what the old count reported as split


def test_a_fact_with_no_event_is_lost_and_one_id_per_fact_is_ok() -> None:
    facts = {"a", "b", "c"}
    assert count_facts(facts, [("1", "a"), ("1", "a"), ("2", "b")]).examples["lost"] == ["c"]
    good = count_facts(facts, [("1", "a"), ("2", "b"), ("3", "c"), ("3", "c")])
    assert good.ok and (good.lost, good.split, good.merged) == (0, 0, 0)
