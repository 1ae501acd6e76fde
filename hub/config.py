"""Hub settings: defaults in one place, environment overrides named ``HUB_*``.

This is the only module that reads the environment. Kafka and Airflow keep their
own variable names (``KAFKA_BOOTSTRAP_SERVERS``, ``AIRFLOW__API__BASE_URL``).
Unknown ``HUB_*`` variables are rejected so that a typo in a deployment fails
loudly instead of silently using a default; a value that does not parse is a
:class:`ConfigError` naming the variable and what it expects. Secrets (key
passphrase, pseudonym key, token PIN) are kept out of ``repr`` and error messages.
The ``security`` package reads nothing itself: the hub passes these settings in.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Local broker defaults: loopback only, ports unlikely to clash with a developer's own Kafka.
LOCAL_KAFKA_PORT = 19092
LOCAL_CONTROLLER_PORT = 19093
# A stage's transaction should finish in seconds; one whose producer died is aborted by
# the coordinator after this, unblocking read_committed readers.
DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000


@dataclass(frozen=True, slots=True)
class Settings:
    #: where the hub keeps local state: broker data, raw store, registry, keys (HUB_VAR_DIR)
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
    #: the agency sources, one DAG each (HUB_SOURCES_FILE)
    sources_file: Path = PROJECT_ROOT / "sources.toml"
    #: person registry: an SQLite path or a postgresql:// URL (HUB_REGISTRY_URL);
    #: empty means the embedded SQLite file <var_dir>/registry.sqlite
    registry_url: str = ""
    #: TEST ONLY, fault injection for the exactly-once tests: ``NAME`` or ``NAME:N``
    #: kills the process (SIGKILL) the Nth time it passes crash point NAME (HUB_CRASH_AT);
    #: ``NAME:N:stop`` stops it (SIGSTOP) instead. Never set in production.
    crash_at: str = ""
    #: how long a stage's open transaction may last before the coordinator aborts it
    #: (HUB_TRANSACTION_TIMEOUT_MS); the fault tests shorten it to see it expire
    transaction_timeout_ms: int = DEFAULT_TRANSACTION_TIMEOUT_MS
    #: the Airflow api-server operators open (AIRFLOW__API__BASE_URL); empty: not known
    airflow_api_url: str = ""
    #: passphrase of the hub's private keys (HUB_KEY_PASSPHRASE); empty: a generated
    #: development passphrase file beside the keys
    key_passphrase: str = field(default="", repr=False)
    #: HMAC key of the statistics pseudonyms, hex (HUB_PSEUDONYM_KEY); empty: a dev key file
    pseudonym_key: str = field(default="", repr=False)
    #: PKCS#11 library of the HSM (HUB_PKCS11_MODULE); empty: an installed SoftHSM2
    pkcs11_module: str = ""
    #: PIN of the HSM token (HUB_PKCS11_PIN)
    pkcs11_pin: str = field(default="", repr=False)
    #: Kafka client security (KAFKA_SECURITY_PROTOCOL ...), applied to every client the hub
    #: makes (hub/kafka/clients.py security_config); PLAINTEXT on the loopback broker
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = ""
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = field(default="", repr=False)
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""

    @property
    def raw_store_dir(self) -> Path:
        return self.var_dir / "raw"

    @property
    def kafka_dir(self) -> Path:
        return self.var_dir / "kafka"


def _whole_number(raw: str) -> int:
    return int(raw.strip())


def _hex(raw: str) -> str:
    bytes.fromhex(raw.strip())
    return raw.strip()


def _crash_spec(raw: str) -> str:
    name, sep, rest = raw.strip().partition(":")
    nth, _, action = rest.partition(":")
    if not name or (sep and (not nth.isdigit() or int(nth) < 1)) or action not in ("", "stop"):
        raise ValueError(raw)
    return raw.strip()


_Conv = Callable[[str], object]
# variable -> (field, converter, what a valid value looks like, secret)
_ENV_FIELDS: dict[str, tuple[str, _Conv, str, bool]] = {
    "HUB_VAR_DIR": ("var_dir", Path, "a directory path", False),
    "HUB_TOPIC_PREFIX": ("topic_prefix", str, "a topic name prefix", False),
    "HUB_INTAKE_PARTITIONS": ("intake_partitions", _whole_number, "a whole number >= 1", False),
    "HUB_REPLICATION_FACTOR": ("replication_factor", _whole_number, "a whole number", False),
    "HUB_RAW_RETENTION_DAYS": ("raw_retention_days", _whole_number, "a whole number", False),
    "HUB_SOURCES_FILE": ("sources_file", Path, "the path of a sources TOML file", False),
    "HUB_REGISTRY_URL": ("registry_url", str, "an SQLite path or postgresql:// URL", False),
    "HUB_CRASH_AT": (
        "crash_at", _crash_spec, "NAME or NAME:N with N >= 1, or NAME:N:stop (tests only)", False
    ),
    "HUB_TRANSACTION_TIMEOUT_MS": (
        "transaction_timeout_ms", _whole_number, "milliseconds (a whole number)", False
    ),
    "HUB_KEY_PASSPHRASE": ("key_passphrase", str, "a passphrase", True),
    "HUB_PSEUDONYM_KEY": ("pseudonym_key", _hex, "hex digits", True),
    "HUB_PKCS11_MODULE": ("pkcs11_module", str, "the path of a PKCS#11 library", False),
    "HUB_PKCS11_PIN": ("pkcs11_pin", str, "the token PIN", True),
}
# The tools' own variables that are hub settings too.
_TOOL_FIELDS: dict[str, tuple[str, _Conv, str, bool]] = {
    "AIRFLOW__API__BASE_URL": ("airflow_api_url", str, "a URL", False),
}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from defaults and ``HUB_*`` / ``KAFKA_BOOTSTRAP_SERVERS`` / ``AIRFLOW__*``."""
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    for key, raw in env.items():
        spec = _ENV_FIELDS.get(key) or _TOOL_FIELDS.get(key)
        if spec is not None:
            values[spec[0]] = _convert(key, raw, spec)
        elif key.startswith("HUB_"):
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


def _convert(key: str, raw: str, spec: tuple[str, _Conv, str, bool]) -> object:
    _, conv, expected, secret = spec
    try:
        return conv(raw)
    except ValueError as exc:
        if secret:  # neither the message nor the chained error may show the value
            raise ConfigError(f"{key}=<hidden>: expected {expected}") from None
        raise ConfigError(f"{key}={raw!r}: expected {expected}") from exc


def process_environment() -> dict[str, str]:
    """A copy of this process's environment, for a child process that must inherit it
    (``hub.airflow.environment``): the one other use of the environment, read here."""
    return dict(os.environ)


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


def _unknown_setting(key: str) -> str:
    """One line naming the unknown variable and the nearest known one."""
    known = sorted(_ENV_FIELDS)
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
