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
from hub.deliver.gateway.signing import MessageSigner
from hub.kafka.clients import producer
from hub.kafka.topics import Topics, TopicSpec, ensure_topics, topics_for
from tests.support import devpki
from tests.support.names import topic_prefix

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
    prefix = topic_prefix("hub")
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


def batch_records(
    pki: devpki.PkiFiles, settings: Settings, events: list[etree._Element], chain: str = "p0"
) -> tuple[list[Record], str]:
    """Events batch-signed as stage 2 does (Merkle proof in each, one signed manifest),
    as records for one transaction; returns the records and the batch id."""
    from security.batch import BatchSigner

    t = topics_for(settings)
    signed = BatchSigner(pki.pki.hub_signing_key(), chain=chain).sign_events(events)
    records: list[Record] = []
    for i, event in enumerate(events):
        signed.attach_proof(event, i)
        person = event.findtext("{urn:kz:mhub:event:1}Person/{urn:kz:mhub:event:1}PersonId")
        records.append(
            (
                t.events("border"),
                person.encode(),
                etree.tostring(event),
                [("batch-id", signed.batch_id.encode())],
            )
        )
    records.append((t.batches, signed.batch_id.encode(), signed.manifest_bytes, []))
    return records, signed.batch_id
