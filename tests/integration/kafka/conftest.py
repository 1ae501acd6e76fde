"""One secured three-node cluster (SASL/SCRAM over TLS, ACLs) for the tests here,
rendered from infra/production/kafka; the shared development broker is not touched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.kafka_cluster import SecureCluster


@pytest.fixture(scope="package")
def secure_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureCluster]:
    cluster = SecureCluster(tmp_path_factory.mktemp("secure-kafka"), size=3)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
