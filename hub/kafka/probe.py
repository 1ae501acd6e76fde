"""Ask the Kafka cluster whether it answers, within a short, named time.

kafka-python waits 30 s to bootstrap by default and then raises a long
traceback; an operator typing ``mhub`` wants one line within seconds. The CLI
probes the cluster before every command that needs Kafka, and ``mhub kafka
status`` shows what the probe saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.config import Settings
from hub.errors import BrokerError
from hub.kafka.errors import translate

# A healthy broker on loopback or in the same data centre answers in milliseconds;
# 5 s covers a slow TLS handshake and keeps every command's failure under 10 s.
PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    bootstrap: str
    cluster_id: str
    controller_id: int
    brokers: tuple[str, ...]


def probe(settings: Settings, timeout_s: float = PROBE_TIMEOUT_S) -> ClusterInfo:
    """Describe the cluster, or raise :class:`BrokerError` saying what to do."""
    from hub.kafka.clients import admin

    timeout_ms = int(timeout_s * 1000)
    try:
        client = admin(
            settings,
            client_id="mhub-probe",
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=timeout_ms,
        )
        try:
            described = client.describe_cluster()
        finally:
            client.close()
    except Exception as exc:
        error = _unanswered(settings, exc, timeout_s)
        if error is None:
            raise
        raise error from exc
    brokers = tuple(f"{b['broker_id']}@{b['host']}:{b['port']}" for b in described["brokers"])
    return ClusterInfo(
        bootstrap=settings.kafka_bootstrap,
        cluster_id=str(described.get("cluster_id")),
        controller_id=int(described.get("controller_id", -1)),
        brokers=brokers,
    )


def _unanswered(settings: Settings, exc: Exception, timeout_s: float) -> BrokerError | None:
    """The probe's error for a client library's error or a socket's (OSError), else None."""
    line = unreachable(settings, exc, timeout_s)
    known = translate(exc, "describing the cluster", message=line)
    if known is not None:
        return known
    if isinstance(exc, OSError):
        return BrokerError(line, retriable=True, name=type(exc).__name__)
    return None


def unreachable(settings: Settings, exc: BaseException, timeout_s: float = PROBE_TIMEOUT_S) -> str:
    """The one line an operator reads when Kafka does not answer."""
    fix = (
        "check KAFKA_BOOTSTRAP_SERVERS and the KAFKA_SECURITY_* settings"
        if settings.external_kafka
        else "start the local broker (`make kafka-start` in a checkout)"
    )
    detail = type(exc).__name__
    return (
        f"Kafka at {settings.kafka_bootstrap} did not answer within {timeout_s:.0f} s "
        f"({detail}); {fix}"
    )
