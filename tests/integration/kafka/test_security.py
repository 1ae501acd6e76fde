"""Kafka security: the hub's stages write as their own principals through TLS and SCRAM,
an agency runs the hub's consumer library on what it is entitled to, the reports' statistics
consumer and the bureau feed run as their own principals, and the statistics bureau reads
its pseudonymised feed but can neither read border (or any) events nor write anywhere. The
cluster, users and ACLs are the production files (infra/production/kafka) rendered for
loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaError

from hub.deliver.bureau_feed import run_bureau_feed
from hub.deliver.consumer import EventConsumer, HubEvent
from hub.errors import BrokerError
from hub.intake.stage import run_source
from hub.kafka.clients import consumer, librdkafka_consumer_config, producer
from hub.kafka.exactly_once import IntakeReader
from hub.kafka.topics import ensure_topics, topics_for
from hub.kafka.transactions import TransactionalProducer
from hub.keys import open_pki
from hub.model.families import FAMILIES, MVD
from hub.publish.stage import publish_partition
from hub.statistics.consumer import consume_statistics
from infra.agencies.generator import Rates
from tests.support.exchange import EV, read_all, source
from tests.support.kafka_cluster import SecureCluster
from tests.support.reliability import record_outcome
from tests.support.topic_reader import read_to_end

PREFIX = "mhub.sec."
INTERIOR = 150
PARTITIONS = 2
MVD_FAMILIES = tuple(f.name for f in FAMILIES if MVD in f.readers)  # as acls.sh entitles
# A refused request comes back at once; this only bounds a test that would otherwise hang.
AUTH_WAIT_S = 20.0
AREA = "kafka security (SASL/SCRAM over TLS, ACLs)"
# Every event is published before the consumers start: once assigned and idle this long,
# a consumer has read everything (a refused topic fails its first poll instead).
IDLE_S = 5.0


def _read_ids(settings: Any, topics: list[str], group: str) -> set[str]:
    from lxml import etree

    cons = consumer(settings=settings, group_id=group)
    try:
        tps = [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
        return {etree.fromstring(m.value).findtext(f"{EV}EventId")
                for m in read_to_end(cons, tps)}
    finally:
        cons.close()


def _agency_consumer(settings: Any, trust: Path, state: Path) -> tuple[set[str], dict]:
    """What mvd's system runs: the hub's consumer library, which subscribes to its families,
    the identity and corroborations topics and fetches batch manifests."""
    with EventConsumer(MVD_FAMILIES, settings, trust, state, group="mvd.events",
                       idle_timeout_s=IDLE_S) as cons:
        ids = {e.event_id for e in cons.stream() if isinstance(e, HubEvent)}
        return ids, dict(cons.counts)


def _read_feed(settings: Any, topic: str) -> list[dict]:
    import json

    cons = consumer(settings=settings, group_id="stat.feed")
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return [json.loads(m.value) for m in read_to_end(cons, tps)]
    finally:
        cons.close()


def _refused_read(settings: Any, topic: str) -> str:
    """The broker refuses the topic's metadata to this principal, and a read gets nothing
    (both through the hub's librdkafka configuration)."""
    from confluent_kafka import Consumer

    client = Consumer(librdkafka_consumer_config(settings, "stat.probe"))
    try:
        error = client.list_topics(topic, timeout=AUTH_WAIT_S).topics[topic].error
    finally:
        client.close()
    assert error is not None and "AUTHORIZATION" in error.name(), error
    reader = IntakeReader(settings, topic, 0, "stat.probe")
    try:
        assert reader.poll(100, 2.0) == []
    finally:
        reader.close()
    return error.name()


def _refused_write(settings: Any, topic: str) -> str:
    """An idempotent producer (as every hub producer is) is refused: the broker denies it
    a producer id (cluster IdempotentWrite) or the topic."""
    prod = producer(settings, max_block_ms=int(AUTH_WAIT_S * 1000))
    try:
        with pytest.raises(KafkaError) as info:
            prod.send(topic, b"forged").get(timeout=AUTH_WAIT_S)
    finally:
        prod.close(timeout=1)
    assert "AuthorizationFailed" in str(info.value), info.value
    return str(info.value).rsplit("]", 1)[-1].strip()


def test_stages_as_own_principals_and_agency_least_privilege(
    secure_cluster: SecureCluster, tmp_path: Path, make_simulator: Any
) -> None:
    cluster = secure_cluster
    cluster.provision(PREFIX)
    hub = {"HUB_VAR_DIR": str(tmp_path / "var"), "HUB_TOPIC_PREFIX": PREFIX,
           "HUB_INTAKE_PARTITIONS": str(PARTITIONS), "HUB_REPLICATION_FACTOR": "3"}
    admin, stage1, stage2 = (cluster.settings(u, **hub) for u in ("admin", "mhub-stage1",
                                                                 "mhub-stage2"))
    mvd, stat = cluster.settings("mvd", **hub), cluster.settings("stat", **hub)
    reports, feed = cluster.settings("mhub-reports", **hub), cluster.settings("mhub-feed", **hub)
    topics = topics_for(admin)
    ensure_topics(topics.specs(), admin)

    sim = make_simulator(seed=16, counts={"interior": INTERIOR},
                         rates=Rates(duplicate=0.3, identity_split=0.3, invalid=0.05))
    summary = run_source(source("interior", "interior", f"{sim.url}/interior", batch_size=50),
                         stage1)
    assert summary.state == "success"
    for p in range(PARTITIONS):
        assert publish_partition(p, stage2).state == "success"
    record_outcome(AREA, "stage 1 (librdkafka, transactional) as User:mhub-stage1",
                   f"{summary.pages if hasattr(summary, 'pages') else 'all'} pages committed")

    everything = read_all(admin)
    facts = {t.fact_id for i in range(INTERIOR)
             if (t := sim.generator.ground_truth("interior", i)).outcome
             not in ("invalid", "hostile")}
    assert len(everything.event_ids) == len(facts) > 0
    assert max(everything.event_versions.values()) == 1
    entitled = {topics.events(f) for f in MVD_FAMILIES}
    mvd_ids = _read_ids(mvd, sorted(entitled), "mvd.border-feed")
    expected = {ev.findtext(f"{EV}EventId") for _k, ev, _h in everything.events
                if ev is not None} & mvd_ids
    assert mvd_ids and mvd_ids == expected
    record_outcome(AREA, "stage 2 as User:mhub-stage2; agency User:mvd reads its families",
                   f"{len(everything.event_ids)} events = ground truth; mvd read {len(mvd_ids)}")

    trust = open_pki(admin).trust_dir
    lib_ids, counts = _agency_consumer(mvd, trust, tmp_path / "mvd-state")
    assert lib_ids == mvd_ids and counts.get("rejected", 0) == 0, counts
    record_outcome(AREA, "User:mvd runs the consumer library (families, identity, "
                   "corroborations, batches; group mvd.*)",
                   f"{len(lib_ids)} verified events, {counts.get('merges', 0)} merges, "
                   f"{counts.get('corroborations', 0)} corroborations")
    stats = consume_statistics(reports, trust=trust, idle_timeout_s=IDLE_S)
    assert stats.get("rejected", 0) == 0 and stats.total() > 0, stats
    record_outcome(AREA, "User:mhub-reports runs the statistics consumer",
                   f"read: {dict(stats)}")

    fed = run_bureau_feed(feed, idle_timeout_s=IDLE_S)
    facts = _read_feed(stat, topics.statistics_feed)
    assert fed["facts"] > 0 and len(facts) == fed["facts"], (fed, len(facts))
    assert {f["event_id"] for f in facts} <= set(everything.event_ids)
    record_outcome(AREA, "User:mhub-feed writes the bureau feed; User:stat reads it",
                   f"{fed['facts']} pseudonymised facts written and read")

    refusal = _refused_read(stat, topics.events("border"))
    record_outcome(AREA, "User:stat reads border events", f"refused: {refusal}; nothing read")
    for topic in (topics.events("statistics"), topics.identity):
        _refused_read(stat, topic)
    with pytest.raises(BrokerError, match=r"may not read .*identity"):
        EventConsumer(["statistics"], stat, trust, tmp_path / "stat-state", group="stat.events")
    record_outcome(AREA, "User:stat reads statistics events, identity (and so cannot start "
                   "the consumer library)", "refused; the library fails at start, naming them")
    for topic in (topics.events("statistics"), topics.intake, topics.batches,
                  topics.statistics_feed):
        err = _refused_write(stat, topic)
    record_outcome(AREA, "User:stat writes statistics events, intake, batches, its feed",
                   f"refused: {err}")
    with pytest.raises(BrokerError, match=r"(?i)authoriz"):
        TransactionalProducer.open(stat, f"{PREFIX}stage2-p0", role="stage2")
    record_outcome(AREA, "User:stat opens stage 2's transactional id",
                   "refused: transactional id authorization failed")
    err = _refused_write(stage1, topics.events("border"))
    record_outcome(AREA, "User:mhub-stage1 writes an event topic (stage 2's)",
                   f"refused: {err}")
