"""Kafka clients: one place that knows how the hub talks to the cluster.

Two clients, each where it serves best (measured, see bench/README.md):

* **librdkafka** (confluent-kafka) on the hot path and for every transaction:
  the transactional producers (:mod:`hub.kafka.transactions`), stage 2's intake
  reader and every consume-transform-produce relay (:mod:`hub.kafka.exactly_once`),
  and reading a topic to its end (:mod:`hub.kafka.reading`: stage 1's positions).
  It costs about 8 µs of CPU per message against kafka-python's 40 µs.
* **kafka-python** (the project card's client) for the rest: the agency consumer
  library, the gateway feeder, stage 2's start-up reads (:mod:`hub.kafka.readers`),
  topic administration, tools and tests.

Every producer is idempotent with ``acks=all``; every consumer reads with
``read_committed``, so aborted transactions (a crashed stage) are never seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.config import DEFAULT_TRANSACTION_TIMEOUT_MS, Settings, load_settings

if TYPE_CHECKING:  # kafka-python is imported where a client is made: the stages never load it
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

# Small batches linger briefly so a page of records leaves as one request;
# 5 ms costs nothing at the hub's volumes and doubles throughput under load.
LINGER_MS = 5
# See hub.config; the stages take theirs from settings.transaction_timeout_ms.
TRANSACTION_TIMEOUT_MS = DEFAULT_TRANSACTION_TIMEOUT_MS
# kafka-python's default 16 KB batches are small for 2 KB records.
BATCH_SIZE = 256 * 1024
# librdkafka's local queue: bounded so a producer's memory stays far below the
# 500 MB budget (the default allows 1 GB); a full queue makes send() wait.
QUEUE_MAX_KBYTES = 64 * 1024
# Java-compatible key partitioning, so any client finds a person's events in the
# same partition of an event topic.
PARTITIONER = "murmur2_random"
# A broker that does not answer metadata requests in this long is unreachable:
# fail fast with a clear error instead of hanging a task.
CONNECT_TIMEOUT_MS = 10_000


# Each TLS/SASL setting under its kafka-python and its librdkafka name, and when it applies.
_SECURITY_OPTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("sasl_mechanism", "sasl.mechanism", "kafka_sasl_mechanism", ("SASL_PLAINTEXT", "SASL_SSL")),
    ("sasl_plain_username", "sasl.username", "kafka_sasl_username", ("SASL_PLAINTEXT", "SASL_SSL")),
    ("sasl_plain_password", "sasl.password", "kafka_sasl_password", ("SASL_PLAINTEXT", "SASL_SSL")),
    ("ssl_cafile", "ssl.ca.location", "kafka_ssl_cafile", ("SSL", "SASL_SSL")),
    ("ssl_certfile", "ssl.certificate.location", "kafka_ssl_certfile", ("SSL", "SASL_SSL")),
    ("ssl_keyfile", "ssl.key.location", "kafka_ssl_keyfile", ("SSL", "SASL_SSL")),
)
# SASL values are passed even when empty (the settings check demands them); TLS files only
# when set, so a client falls back to the system trust store.
_ALWAYS = frozenset({"kafka_sasl_mechanism", "kafka_sasl_username", "kafka_sasl_password"})


def _security(settings: Settings, librdkafka: bool) -> dict[str, Any]:
    protocol = settings.kafka_security_protocol
    # librdkafka spells protocols in lower case (sasl_ssl); Kafka's variables in upper.
    config: dict[str, Any] = (
        {"security.protocol": protocol.lower()} if librdkafka else {"security_protocol": protocol}
    )
    for python_name, rd_name, field_name, protocols in _SECURITY_OPTIONS:
        value = getattr(settings, field_name)
        if protocol in protocols and (value or field_name in _ALWAYS):
            config[rd_name if librdkafka else python_name] = value
    return config


def security_config(settings: Settings) -> dict[str, object]:
    """TLS and SASL options for a kafka-python client, from the KAFKA_* settings.

    Merged into every producer, consumer and admin client the hub makes, so a
    cluster that requires SASL_SSL (infra/production) is reached the same way by all.
    """
    return _security(settings, librdkafka=False)


def librdkafka_security_config(settings: Settings) -> dict[str, Any]:
    """The same TLS and SASL settings in librdkafka's names, for the stages' clients."""
    return _security(settings, librdkafka=True)


def admin(settings: Settings | None = None, **overrides: object) -> KafkaAdminClient:
    from kafka import KafkaAdminClient

    settings = settings or load_settings()
    config: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "client_id": "mhub-admin",
        "request_timeout_ms": CONNECT_TIMEOUT_MS,
        **security_config(settings),
    }
    config.update(overrides)
    return KafkaAdminClient(**config)


def producer(
    settings: Settings | None = None, *, transactional_id: str | None = None, **overrides: object
) -> KafkaProducer:
    """A kafka-python producer (tools and tests; the stages use librdkafka)."""
    from kafka import KafkaProducer

    settings = settings or load_settings()
    config: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": LINGER_MS,
        "batch_size": BATCH_SIZE,
        "client_id": transactional_id or "mhub-producer",
        **security_config(settings),
    }
    if transactional_id:
        config["transactional_id"] = transactional_id
        config["transaction_timeout_ms"] = TRANSACTION_TIMEOUT_MS
    config.update(overrides)
    return KafkaProducer(**config)


def sole_member(group_id: str) -> str:
    """The static member name (``group.instance.id``) of a group's only consumer.

    A restarted consumer that keeps the dead one's name takes its partitions back at
    once, instead of waiting out the dead member's session (45 s by default).
    """
    return f"{group_id}.1"


def consumer(
    *topics: str, settings: Settings | None = None, group_id: str | None = None, **overrides: object
) -> KafkaConsumer:
    """A kafka-python consumer reading committed data only."""
    from kafka import KafkaConsumer

    settings = settings or load_settings()
    config: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "isolation_level": "read_committed",
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        "group_id": group_id,
        **security_config(settings),
    }
    config.update(overrides)
    return KafkaConsumer(*topics, **config)


def librdkafka_producer_config(settings: Settings, transactional_id: str) -> dict[str, Any]:
    """Configuration of a stage's transactional librdkafka producer."""
    return {
        "bootstrap.servers": settings.kafka_bootstrap,
        "client.id": transactional_id,
        "transactional.id": transactional_id,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": LINGER_MS,
        "transaction.timeout.ms": settings.transaction_timeout_ms,
        "queue.buffering.max.kbytes": QUEUE_MAX_KBYTES,
        "partitioner": PARTITIONER,
        "socket.connection.setup.timeout.ms": CONNECT_TIMEOUT_MS,
        **librdkafka_security_config(settings),
    }


def librdkafka_consumer_config(settings: Settings, group_id: str) -> dict[str, Any]:
    """Configuration of a librdkafka consumer: read_committed, no auto commit, partition
    ends reported (stage 2's intake reader, the relays, ``read_to_end``)."""
    return {
        "bootstrap.servers": settings.kafka_bootstrap,
        "group.id": group_id,
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": True,
        "socket.connection.setup.timeout.ms": CONNECT_TIMEOUT_MS,
        **librdkafka_security_config(settings),
    }
