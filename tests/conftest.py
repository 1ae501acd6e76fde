"""Shared fixtures: the real local Kafka broker and unique topics per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from hub.config import Settings, load_settings
from hub.kafka_io import TopicSpec, ensure_topics


@pytest.fixture(scope="session")
def kafka_settings() -> Iterator[Settings]:
    """The real broker: an external one, a running local one, or one started here."""
    from infra.kafka import broker

    settings = load_settings()
    started_here = False
    if not settings.external_kafka and not broker.answers("127.0.0.1", 19092):
        broker.start(settings)
        started_here = True
    yield settings
    if started_here and os.environ.get("HUB_KEEP_BROKER") is None:
        broker.stop(settings)


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Names no other test (or earlier run) uses: topics, transactional ids, groups."""
    run = uuid.uuid4().hex[:8]
    return lambda base: f"test.{base}.{run}"


@pytest.fixture
def make_topic(kafka_settings: Settings, unique_name: Callable[[str], str]) -> Callable[..., str]:
    def make(base: str, partitions: int = 1, compacted: bool = False) -> str:
        name = unique_name(base)
        ensure_topics([TopicSpec(name, partitions, compacted)], kafka_settings)
        return name

    return make


# Agency simulators (real HTTP servers on ephemeral ports) and TLS material.
from tests.agencies_fixtures import make_simulator, tls_files  # noqa: E402, F401
