"""The local broker's storage is formatted with a cluster id the storage tool accepts."""

from __future__ import annotations

import base64

from infra.kafka.broker import new_cluster_id


def test_cluster_ids_are_kafka_uuids_never_read_as_options() -> None:
    # One plain draw in 64 starts with '-', which kafka-storage took for an option
    # ("argument --cluster-id/-t: expected one argument"): a CI run failed so.
    ids = [new_cluster_id() for _ in range(5_000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids)
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)
