"""Kafka TLS/SASL settings: read from Kafka's own variable names, checked together,
and handed to both client libraries (kafka-python and librdkafka) the same way."""

from __future__ import annotations

import pytest

from hub.config import load_settings
from hub.errors import ConfigError
from hub.kafka.clients import (
    librdkafka_consumer_config,
    librdkafka_producer_config,
    librdkafka_security_config,
    security_config,
)

SECURE = {
    "KAFKA_BOOTSTRAP_SERVERS": "kafka-1.hub.internal:9092",
    "KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
    "KAFKA_SASL_MECHANISM": "scram-sha-512",
    "KAFKA_SASL_USERNAME": "mhub-stage1",
    "KAFKA_SASL_PASSWORD": "s3cret",
    "KAFKA_SSL_CAFILE": "/etc/mhub/tls/ca.pem",
}


def test_plaintext_by_default() -> None:
    settings = load_settings({})
    assert security_config(settings) == {"security_protocol": "PLAINTEXT"}
    assert librdkafka_security_config(settings) == {"security.protocol": "plaintext"}


def test_sasl_ssl_reaches_both_libraries() -> None:
    settings = load_settings(SECURE)
    assert security_config(settings) == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "mhub-stage1",
        "sasl_plain_password": "s3cret",
        "ssl_cafile": "/etc/mhub/tls/ca.pem",
    }
    for config in (
        librdkafka_producer_config(settings, "mhub.stage1-x"),
        librdkafka_consumer_config(settings, "mhub.stage2"),
    ):
        assert config["security.protocol"] == "sasl_ssl"
        assert config["sasl.mechanism"] == "SCRAM-SHA-512"
        assert config["sasl.username"] == "mhub-stage1"
        assert config["sasl.password"] == "s3cret"
        assert config["ssl.ca.location"] == "/etc/mhub/tls/ca.pem"


def test_password_is_not_in_repr() -> None:
    assert "s3cret" not in repr(load_settings(SECURE))


def test_mutual_tls_files() -> None:
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CAFILE": "ca.pem",
        "KAFKA_SSL_CERTFILE": "c.pem",
        "KAFKA_SSL_KEYFILE": "k.pem",
    }
    rd = librdkafka_security_config(load_settings(env))
    assert rd["ssl.certificate.location"] == "c.pem"
    assert rd["ssl.key.location"] == "k.pem"
    assert "sasl.username" not in rd


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL"),
        ({**SECURE, "KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM"),
        ({**SECURE, "KAFKA_SASL_PASSWORD": ""}, "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SSL_CERTFILE": "c.pem"}, "KAFKA_SSL_KEYFILE"),
    ],
)
def test_inconsistent_settings_are_named(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        load_settings(env)
