"""Fixtures shared by the consumer and gateway tests: a test PKI, topics under a unique
prefix on the real broker, and a producer of real signed events."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree

from hub.config import Settings
from hub.gateway.signing import MessageSigner
from hub.kafka_io import TopicSpec, ensure_topics, producer
from hub.topics import Topics, topics_for
from tests.support import devpki

# Two partitions: enough to show ordering per person and multi-partition offsets.
TEST_PARTITIONS = 2


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> devpki.PkiFiles:
    return devpki.create(tmp_path_factory.mktemp("pki"), partners=["KGZ", "UZB"])


@pytest.fixture(scope="session")
def hub_signer(pki: devpki.PkiFiles) -> MessageSigner:
    return MessageSigner(pki.pki.hub_signing_key())


@pytest.fixture
def hub_settings(kafka_settings: Settings, tmp_path: Path) -> Settings:
    """Settings whose topics are this test's own, with the hub topics it needs created."""
    prefix = f"test.{uuid.uuid4().hex[:8]}."
    settings = dataclasses.replace(
        kafka_settings,
        topic_prefix=prefix,
        intake_partitions=TEST_PARTITIONS,
        var_dir=tmp_path / "var",
    )
    t = topics_for(settings)
    ensure_topics(
        [
            TopicSpec(name, TEST_PARTITIONS)
            for name in (
                t.events("border"),
                t.events("enforcement"),
                t.events("residence"),
                t.corroborations,
                t.identity,
                t.batches,
            )
        ],
        settings,
    )
    return settings


Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


@pytest.fixture
def publish(hub_settings: Settings) -> Iterator[Callable[[list[Record]], None]]:
    """Send (topic, key, value, headers) records in one transaction, as stage 2 does."""
    prod = producer(hub_settings, transactional_id=f"test-publish-{uuid.uuid4().hex[:8]}")
    prod.init_transactions()

    def send(records: list[Record]) -> None:
        prod.begin_transaction()
        for topic, key, value, headers in records:
            prod.send(topic, key=key, value=value, headers=headers)
        prod.commit_transaction()

    yield send
    prod.close()


def topics(settings: Settings) -> Topics:
    return topics_for(settings)


def signed(signer: MessageSigner, ev: etree._Element) -> bytes:
    return signer.sign(ev)
