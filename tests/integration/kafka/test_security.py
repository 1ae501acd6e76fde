"""Kafka security: the hub's stages write as their own principals through TLS and SCRAM,
an agency reads what it is entitled to, and the statistics bureau can neither read
border events nor write anywhere. The cluster, users and ACLs are the production
files (infra/production/kafka) rendered for loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaError

from hub.errors import BrokerError
from hub.intake.stage import run_source
from hub.kafka.clients import consumer, librdkafka_consumer_config, producer
from hub.kafka.topics import ensure_topics, topics_for
from hub.kafka.transactions import IntakeReader, TransactionalProducer
from hub.publish.stage import publish_partition
from infra.agencies.generator import Rates
from tests.support.exchange import EV, read_all, source
from tests.support.kafka_cluster import SecureCluster
from tests.support.reliability import record_outcome
from tests.support.topic_reader import read_to_end

PREFIX = "mhub.sec."
INTERIOR = 150
PARTITIONS = 2
MVD_FAMILIES = ("border", "residence", "enforcement", "asylum")
# A refused request comes back at once; this only bounds a test that would otherwise hang.
AUTH_WAIT_S = 20.0
AREA = "kafka security (SASL/SCRAM over TLS, ACLs)"


def _read_ids(settings: Any, topics: list[str], group: str) -> set[str]:
    from lxml import etree

    cons = consumer(settings=settings, group_id=group)
    try:
        tps = [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
        return {etree.fromstring(m.value).findtext(f"{EV}EventId")
                for m in read_to_end(cons, tps)}
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

    refusal = _refused_read(stat, topics.events("border"))
    record_outcome(AREA, "User:stat reads border events", f"refused: {refusal}; nothing read")
    for topic in (topics.events("statistics"), topics.intake, topics.batches):
        err = _refused_write(stat, topic)
    record_outcome(AREA, "User:stat writes statistics events, intake, batches",
                   f"refused: {err}")
    with pytest.raises(BrokerError, match=r"(?i)authoriz"):
        TransactionalProducer.open(stat, f"{PREFIX}stage2-p0", role="stage2")
    record_outcome(AREA, "User:stat opens stage 2's transactional id",
                   "refused: transactional id authorization failed")
    err = _refused_write(stage1, topics.events("border"))
    record_outcome(AREA, "User:mhub-stage1 writes an event topic (stage 2's)",
                   f"refused: {err}")
