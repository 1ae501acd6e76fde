"""Hub settings: defaults in one place, environment overrides named ``HUB_*``.

Kafka and Airflow keep their own variable names (``KAFKA_BOOTSTRAP_SERVERS``,
``AIRFLOW__*``). Unknown ``HUB_*`` variables are rejected so that a typo in a
deployment fails loudly instead of silently using a default.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from hub.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Local broker defaults: loopback only, ports unlikely to clash with a developer's own Kafka.
LOCAL_KAFKA_PORT = 19092
LOCAL_CONTROLLER_PORT = 19093


@dataclass(frozen=True, slots=True)
class Settings:
    #: where the hub keeps local state: broker data, raw store, registry, keys
    var_dir: Path = PROJECT_ROOT / "var"
    #: a cluster to use instead of the local broker (KAFKA_BOOTSTRAP_SERVERS)
    kafka_bootstrap: str = f"127.0.0.1:{LOCAL_KAFKA_PORT}"
    #: True when KAFKA_BOOTSTRAP_SERVERS was set: the hub then starts no broker
    external_kafka: bool = False
    #: prefix of every topic the hub creates, so several hubs can share a cluster
    topic_prefix: str = "mhub."
    #: intake partitions: the unit of stage-2 parallelism
    intake_partitions: int = 4
    #: replication factor for created topics (1 on the local single node)
    replication_factor: int = 1
    #: days a raw document is kept in the content-addressed store
    raw_retention_days: int = 400
    #: Kafka client security (KAFKA_SECURITY_PROTOCOL ...), applied to every client the hub
    #: makes (hub/kafka/clients.py security_config); PLAINTEXT on the loopback broker
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = ""
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = field(default="", repr=False)
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def raw_store_dir(self) -> Path:
        return self.var_dir / "raw"

    @property
    def kafka_dir(self) -> Path:
        return self.var_dir / "kafka"


_ENV_FIELDS = {
    "HUB_VAR_DIR": ("var_dir", Path),
    "HUB_TOPIC_PREFIX": ("topic_prefix", str),
    "HUB_INTAKE_PARTITIONS": ("intake_partitions", int),
    "HUB_REPLICATION_FACTOR": ("replication_factor", int),
    "HUB_RAW_RETENTION_DAYS": ("raw_retention_days", int),
}
# Kafka's own variable names for client security (the names Kafka tooling uses).
_KAFKA_SECURITY_ENV = {
    "KAFKA_SECURITY_PROTOCOL": "kafka_security_protocol",
    "KAFKA_SASL_MECHANISM": "kafka_sasl_mechanism",
    "KAFKA_SASL_USERNAME": "kafka_sasl_username",
    "KAFKA_SASL_PASSWORD": "kafka_sasl_password",
    "KAFKA_SSL_CAFILE": "kafka_ssl_cafile",
    "KAFKA_SSL_CERTFILE": "kafka_ssl_certfile",
    "KAFKA_SSL_KEYFILE": "kafka_ssl_keyfile",
}
KAFKA_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
# Variables owned by other parts of the hub (keys, simulators, ...) and read there.
_KNOWN_ELSEWHERE = {
    "HUB_KEY_PASSPHRASE",
    "HUB_PSEUDONYM_KEY",
    "HUB_SEED",
    "HUB_SOURCES_FILE",
    "HUB_PKCS11_MODULE",
    "HUB_PKCS11_PIN",
    "HUB_WEBHOOK_URL",
    "HUB_CRASH_AT",
    "HUB_REGISTRY_URL",
}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from defaults and ``HUB_*`` / ``KAFKA_BOOTSTRAP_SERVERS``."""
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    for key, raw in env.items():
        if not key.startswith("HUB_"):
            continue
        if key in _ENV_FIELDS:
            name, conv = _ENV_FIELDS[key]
            try:
                values[name] = conv(raw)
            except ValueError:
                kind = "a whole number" if conv is int else "valid"
                raise ConfigError(f"{key}={raw!r} is not {kind}; fix or unset it") from None
        elif key not in _KNOWN_ELSEWHERE:
            raise ConfigError(_unknown_setting(key))
    bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap:
        values["kafka_bootstrap"] = bootstrap
        values["external_kafka"] = True
    values.update(_kafka_security(env))
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.intake_partitions < 1:
        raise ConfigError("HUB_INTAKE_PARTITIONS must be at least 1")
    return settings


def _unknown_setting(key: str) -> str:
    """One line naming the unknown variable and the nearest known one."""
    known = sorted([*_ENV_FIELDS, *_KNOWN_ELSEWHERE])
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else f"; known: {', '.join(known)}"
    return f"unknown setting {key}{hint}; unset or rename it"


def _kafka_security(env: dict[str, str]) -> dict[str, str]:
    """Kafka client security from Kafka's own variable names, checked together."""
    values = {name: env[key] for key, name in _KAFKA_SECURITY_ENV.items() if env.get(key)}
    protocol = values.setdefault("kafka_security_protocol", "PLAINTEXT").upper()
    values["kafka_security_protocol"] = protocol
    if protocol not in KAFKA_PROTOCOLS:
        raise ConfigError(f"KAFKA_SECURITY_PROTOCOL={protocol!r}: one of {KAFKA_PROTOCOLS}")
    if protocol.startswith("SASL_"):
        mechanism = values.get("kafka_sasl_mechanism", "").upper()
        if mechanism not in KAFKA_SASL_MECHANISMS:
            raise ConfigError(
                f"KAFKA_SASL_MECHANISM={mechanism!r}: one of {KAFKA_SASL_MECHANISMS} "
                f"with KAFKA_SECURITY_PROTOCOL={protocol}"
            )
        values["kafka_sasl_mechanism"] = mechanism
        if not values.get("kafka_sasl_username") or not values.get("kafka_sasl_password"):
            raise ConfigError(
                f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_USERNAME and "
                "KAFKA_SASL_PASSWORD"
            )
    if bool(values.get("kafka_ssl_certfile")) != bool(values.get("kafka_ssl_keyfile")):
        raise ConfigError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together: set both")
    return values


def setting_names() -> list[str]:
    return [f.name for f in fields(Settings)]
