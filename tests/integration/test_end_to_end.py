"""The first path, end to end: simulator -> stage 1 -> intake -> stage 2 -> event topics.

Real HTTP simulator, real broker, real signatures; the outcome is read back by
an independent consumer and compared with the generator's ground truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from hub.config import Settings
from hub.intake.stage import run_source
from hub.keys import trust_store
from hub.publish.stage import intake_partitions, publish_partition
from infra.agencies.generator import Rates
from security.batch_verifier import BatchVerifier
from tests.support.exchange import EV, isolated_settings, read_all, source

N = 240


def _truths(sim: Any, feed: str, n: int) -> list[Any]:
    return [sim.generator.ground_truth(feed, i) for i in range(n)]


class TestInteriorEndToEnd:
    def test_valid_records_published_once_invalid_quarantined_with_reason(
        self,
        tmp_path: Path,
        kafka_settings: Settings,
        unique_name: Callable[[str], str],
        make_simulator: Callable[..., Any],
    ) -> None:
        sim = make_simulator(
            seed=7,
            rates=Rates(invalid=0.08, hostile=0.02, correction=0.05),
            counts={"interior": N},
        )
        settings = isolated_settings(tmp_path, kafka_settings, unique_name)
        src = source("interior-e2e", "interior", sim.url + "/interior", batch_size=50)

        summary = run_source(src, settings, run_id="t1")
        assert summary.state == "success"
        assert summary.pulled == N
        published = [publish_partition(p, settings) for p in intake_partitions(settings)]

        truths = _truths(sim, "interior", N)
        bad = [t for t in truths if t.outcome in ("invalid", "hostile")]
        good = [t for t in truths if t.outcome not in ("invalid", "hostile")]
        out = read_all(settings)

        # Bad input: every one in the DLQ with its rule, none stopped the others.
        assert summary.quarantined_total == len(bad) > 0
        dlq_rules = Counter(f["findings"][0]["rule"] for f in out.dlq)
        assert sum(dlq_rules.values()) == len(bad)
        for t in bad:
            assert t.rule in {f["rule"] for d in out.dlq for f in d["findings"]}, t
        assert all(d["raw_digest"].startswith("sha256:") for d in out.dlq)

        # One event per fact; corrections are new versions of the same event id.
        facts = {t.fact_id for t in good}
        assert len(out.event_ids) == len(facts)
        assert max(out.event_versions.values()) == 1, "an event version was published twice"
        bad_ids = {f"interior:{t.index}" for t in bad}
        # A correction of a record that was quarantined is the first valid report: new.
        corrections = [
            t for t in good if t.outcome == "correction" and t.correction_of not in bad_ids
        ]
        assert len(out.events) == len(good)
        assert sum(p.corrections for p in published) == len(corrections)
        assert sum(p.new for p in published) == len(facts)

        # Keyed by the canonical person; headers name event, type, source and batch.
        for key, ev, headers in out.events:
            assert key.decode() == ev.findtext(f"{EV}Person/{EV}PersonId")
            assert headers["event-id"].decode() == ev.findtext(f"{EV}EventId")
            assert headers["type"].decode() == ev.findtext(f"{EV}EventType")
            assert headers["source"] == b"interior-e2e"
            assert headers["batch-id"]

        # Every event verifies alone against its signed batch manifest.
        verifier = BatchVerifier(trust_store(settings))
        manifests = {
            etree.fromstring(m).findtext("{urn:kz:mhub:batch:1}BatchId"): m for m in out.manifests
        }
        for _key, ev, headers in out.events:
            verifier.verify_event(ev, manifests[headers["batch-id"].decode()])

    def test_a_second_run_publishes_only_what_is_new(
        self,
        tmp_path: Path,
        kafka_settings: Settings,
        unique_name: Callable[[str], str],
        make_simulator: Callable[..., Any],
    ) -> None:
        sim = make_simulator(seed=8, rates=Rates(invalid=0.0), counts={"interior": 120})
        settings = isolated_settings(tmp_path, kafka_settings, unique_name)
        src = source("interior-incr", "interior", sim.url + "/interior", batch_size=40)
        run_source(src, settings)
        for p in intake_partitions(settings):
            publish_partition(p, settings)
        first = read_all(settings)
        sim.grow("interior", 60)
        again = run_source(src, settings)
        assert again.pulled == 60
        for p in intake_partitions(settings):
            publish_partition(p, settings)
        second = read_all(settings)
        assert len(second.events) == len(first.events) + 60 - _dups(sim, 120, 180)
        assert max(second.event_versions.values()) == 1


def _dups(sim: Any, start: int, end: int) -> int:
    """New entries in [start, end) that are not new facts of the interior feed."""
    seen: set[str] = set()
    for i in range(start):
        seen.add(sim.generator.ground_truth("interior", i).fact_id)
    dup = 0
    for i in range(start, end):
        t = sim.generator.ground_truth("interior", i)
        if t.outcome != "correction" and t.fact_id in seen:
            dup += 1
        seen.add(t.fact_id)
    return dup
