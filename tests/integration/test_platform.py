"""The platform under everything: the real broker, topics, positions, raw store
(settings: tests/unit/test_config.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import TopicPartition

from hub.config import PROJECT_ROOT, Settings, load_settings
from hub.errors import StateError
from hub.intake.positions import encode_position, load_positions
from hub.intake.raw_store import RawStore
from hub.kafka.clients import admin, consumer, producer
from hub.kafka.topics import Topics, TopicSpec, ensure_topics
from hub.model.families import EVENT_FAMILIES
from infra.kafka import broker
from tests.support.topic_reader import read_to_end


class TestBroker:
    def test_start_is_idempotent_and_reuses_the_running_broker(
        self, kafka_settings: Settings
    ) -> None:
        assert broker.start(kafka_settings) == kafka_settings.kafka_bootstrap
        assert "up" in broker.status(kafka_settings) or kafka_settings.external_kafka

    def test_external_cluster_starts_nothing(self, tmp_path: Path) -> None:
        s = load_settings({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "HUB_VAR_DIR": str(tmp_path)})
        assert broker.start(s) == "127.0.0.1:1"
        assert not (tmp_path / "kafka").exists()
        assert broker.stop(s) is False

    def test_broker_is_apache_kafka_4(self, kafka_settings: Settings) -> None:
        """The broker's ApiVersions answer is that of the Kafka release infra/kafka/pom.xml pins."""
        import re

        pom = (PROJECT_ROOT / "infra" / "kafka" / "pom.xml").read_text()
        pinned = re.search(r"<kafka.version>(\d+)\.(\d+)\.\d+</kafka.version>", pom)
        assert pinned, "infra/kafka/pom.xml names no kafka.version"
        client = admin(kafka_settings)
        try:
            cluster = client.describe_cluster()
            node = cluster["brokers"][0]["broker_id"]
            # Inferred by the client from the broker's own ApiVersions answer.
            reported = client.get_broker_version_data(node).broker_version
        finally:
            client.close()
        assert cluster["brokers"], cluster
        assert reported[0] == 4, reported
        if not kafka_settings.external_kafka:  # the local broker runs the pinned jars
            assert tuple(reported[:2]) == (int(pinned[1]), int(pinned[2])), reported


class TestTopics:
    def test_hub_topics_are_created_with_partitions_and_cleanup(
        self, kafka_settings: Settings, unique_name: Callable[[str], str]
    ) -> None:
        topics = Topics(prefix=unique_name("hub") + ".", partitions=3)
        created = ensure_topics(topics.specs(), kafka_settings)
        assert set(created) == {s.name for s in topics.specs()}
        assert ensure_topics(topics.specs(), kafka_settings) == []
        client = admin(kafka_settings)
        try:
            desc = {
                t["name"]: t for t in client.describe_topics([topics.intake, topics.dedup_index])
            }
            configs = client.describe_configs(
                config_resources=[
                    _topic_resource(topics.dedup_index),
                    _topic_resource(topics.connector_state),
                ]
            )
        finally:
            client.close()
        assert len(desc[topics.intake]["partitions"]) == 3
        # Positions are compacted (latest per source); the dedup index is a changelog of
        # one entry blob per stage-2 transaction, kept forever like the audit chain.
        state = configs["topic"][topics.connector_state]
        assert state["cleanup.policy"]["value"] == "compact"
        assert configs["topic"][topics.dedup_index]["retention.ms"]["value"] == "-1"
        assert {topics.events(f) for f in EVENT_FAMILIES} <= {s.name for s in topics.specs()}

    def test_writers_racing_to_create_count_each_topic_once(
        self, kafka_settings: Settings, unique_name: Callable[[str], str]
    ) -> None:
        """Processes starting together (DAG tasks, a stage beside `mhub kafka topics`) all
        see the topics missing and all ask to create them: one creates each topic, the
        others say they created nothing, and every topic is ready when each returns."""
        from concurrent.futures import ThreadPoolExecutor
        from threading import Barrier

        for attempt in range(3):
            specs = Topics(prefix=unique_name(f"race{attempt}") + ".", partitions=2).specs()
            start = Barrier(4)

            def create(_: int, specs: list[TopicSpec] = specs, start: Barrier = start) -> list[str]:
                start.wait()
                return ensure_topics(specs, kafka_settings)

            with ThreadPoolExecutor(4) as pool:
                results = list(pool.map(create, range(4)))
            created = [name for names in results for name in names]
            assert sorted(created) == sorted(s.name for s in specs)
            assert ensure_topics(specs, kafka_settings) == []


def _topic_resource(name: str) -> object:
    from kafka.admin import ConfigResource, ConfigResourceType

    return ConfigResource(ConfigResourceType.TOPIC, name)


class TestPositions:
    def test_only_committed_positions_are_read_back(
        self,
        kafka_settings: Settings,
        make_topic: Callable[..., str],
        unique_name: Callable[[str], str],
    ) -> None:
        topic = make_topic("state", compacted=True)
        prod = producer(kafka_settings, transactional_id=unique_name("tx-state"))
        prod.init_transactions()
        prod.begin_transaction()
        prod.send(topic, key=b"interior", value=encode_position({"page": 1}))
        prod.commit_transaction()
        prod.begin_transaction()
        prod.send(topic, key=b"interior", value=encode_position({"page": 2}))
        prod.send(topic, key=b"labour", value=encode_position({"file": "a.xml"}))
        prod.flush()
        prod.abort_transaction()
        prod.close()
        assert load_positions(kafka_settings, topic) == {"interior": {"page": 1}}

    def test_empty_state_topic_means_start_from_the_beginning(
        self, kafka_settings: Settings, make_topic: Callable[..., str]
    ) -> None:
        assert load_positions(kafka_settings, make_topic("state-empty", compacted=True)) == {}


class TestReadCommitted:
    def test_aborted_records_are_never_seen(
        self,
        kafka_settings: Settings,
        make_topic: Callable[..., str],
        unique_name: Callable[[str], str],
    ) -> None:
        topic = make_topic("rc", partitions=2)
        ensure_topics([TopicSpec(topic, 2)], kafka_settings)
        prod = producer(kafka_settings, transactional_id=unique_name("tx-rc"))
        prod.init_transactions()
        for commit, n in ((True, 5), (False, 7), (True, 3)):
            prod.begin_transaction()
            for i in range(n):
                prod.send(topic, key=f"k{i}".encode(), value=b"committed" if commit else b"aborted")
            if commit:
                prod.commit_transaction()
            else:
                prod.flush()
                prod.abort_transaction()
        prod.close()
        cons = consumer(settings=kafka_settings)
        try:
            tps = [TopicPartition(topic, p) for p in (0, 1)]
            values = [m.value for m in read_to_end(cons, tps)]
        finally:
            cons.close()
        assert values.count(b"committed") == 8
        assert b"aborted" not in values


class TestRawStore:
    def test_a_page_is_one_pack_and_every_record_is_readable(self, tmp_path: Path) -> None:
        store = RawStore(tmp_path)
        bodies = [f"<r n='{i}'/>".encode() for i in range(100)]
        digests = store.put_many((b, "") for b in bodies)
        assert len(list(tmp_path.glob("*/*.pack"))) == 1
        assert [store.get(d) for d in digests] == bodies
        store.put_many((b, "") for b in bodies)  # idempotent: no second pack
        assert len(list(tmp_path.glob("*/*.pack"))) == 1

    def test_content_addressed_idempotent_and_verified(self, tmp_path: Path) -> None:
        store = RawStore(tmp_path)
        d1 = store.put(b"<a/>")
        assert store.put(b"<a/>") == d1
        assert store.get(d1) == b"<a/>"
        assert d1 in store
        path = next(tmp_path.glob("*/*.pack"))
        path.write_bytes(b"<b/>")
        with pytest.raises(StateError, match="corrupt"):
            store.get(d1)

    def test_retention_expires_old_documents(self, tmp_path: Path) -> None:
        store = RawStore(tmp_path)
        d = store.put(b"<old/>")
        assert store.expire(retention_days=1, now=10**10) == 1
        assert d not in store

    def test_rejects_non_digest_addresses(self, tmp_path: Path) -> None:
        with pytest.raises(StateError):
            RawStore(tmp_path).get("../../etc/passwd")


class TestTopicsCommand:
    def test_mhub_kafka_topics_creates_then_keeps(
        self,
        kafka_settings: Settings,
        unique_name: Callable[[str], str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        from hub.cli import main

        prefix = unique_name("cli") + "."
        monkeypatch.setenv("HUB_TOPIC_PREFIX", prefix)
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_settings.kafka_bootstrap)
        assert main(["kafka", "topics"]) == 0
        first = capsys.readouterr().out
        assert f"{prefix}dedup-index" in first and "cleanup=compact" in first
        assert first.count("created") == len(Topics(prefix, 4).specs())
        assert main(["kafka", "topics"]) == 0
        assert "created" not in capsys.readouterr().out
