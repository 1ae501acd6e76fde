"""Hub settings: defaults in one place, environment overrides named ``HUB_*``.

Kafka and Airflow keep their own variable names (``KAFKA_BOOTSTRAP_SERVERS``,
``AIRFLOW__*``). Unknown ``HUB_*`` variables are rejected so that a typo in a
deployment fails loudly instead of silently using a default.
"""

from __future__ import annotations

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
    #: tests only: kill the process at a named commit boundary (hub.kafka.faults)
    crash_at: str = ""
    #: the person registry: an SQLite path or a postgresql:// URL ("" = var_dir/registry.sqlite)
    registry_url: str = ""
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
    "HUB_CRASH_AT": ("crash_at", str),
    "HUB_REGISTRY_URL": ("registry_url", str),
}
# Variables owned by other parts of the hub (keys, simulators, ...) and read there.
_KNOWN_ELSEWHERE = {
    "HUB_KEY_PASSPHRASE",
    "HUB_PSEUDONYM_KEY",
    "HUB_SEED",
    "HUB_SOURCES_FILE",
    "HUB_PKCS11_MODULE",
    "HUB_PKCS11_PIN",
    "HUB_WEBHOOK_URL",
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
            except ValueError as exc:
                raise ConfigError(f"{key}={raw!r}: {exc}") from exc
        elif key not in _KNOWN_ELSEWHERE:
            known = ", ".join(sorted([*_ENV_FIELDS, *_KNOWN_ELSEWHERE]))
            raise ConfigError(f"unknown setting {key}; known: {known}")
    bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap:
        values["kafka_bootstrap"] = bootstrap
        values["external_kafka"] = True
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.intake_partitions < 1:
        raise ConfigError("HUB_INTAKE_PARTITIONS must be at least 1")
    return settings


def setting_names() -> list[str]:
    return [f.name for f in fields(Settings)]
