"""``mhub kafka status|topics``: what the cluster answers, and the hub's topics.

``topics`` creates every topic the hub uses (``hub/kafka/topics.py``: partitions,
cleanup policy and retention explicit) on the local broker or on the cluster
named by ``KAFKA_BOOTSTRAP_SERVERS``, and lists them; existing topics are kept.
The local development broker is not part of the product: a checkout starts and stops
it with ``make kafka-start`` / ``make kafka-stop`` (``python -m infra.kafka.broker``).
"""

from __future__ import annotations

import argparse

from hub.config import Settings, load_settings
from hub.kafka.probe import probe
from hub.kafka.topics import ensure_topics, topics_for

ACTIONS = {
    "status": "probe the cluster (answers within seconds); exit 1 when it does not answer",
    "topics": "create the hub's topics where missing and list them",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=list(ACTIONS),
        help="; ".join(f"{name}: {text}" for name, text in ACTIONS.items()),
    )


def needs_kafka(args: argparse.Namespace) -> bool:
    """``topics`` needs a cluster; ``status`` probes it itself."""
    return bool(args.action == "topics")


def status(settings: Settings) -> int:
    """What the cluster answers (raises BrokerError: one line and exit 1 from the CLI)."""
    info = probe(settings)
    print(
        f"kafka at {info.bootstrap}: cluster {info.cluster_id}, controller {info.controller_id}, "
        f"brokers {', '.join(info.brokers)} ({settings.kafka_security_protocol})"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "status":
        return status(settings)
    specs = topics_for(settings).specs()
    created = set(ensure_topics(specs, settings))
    for spec in specs:
        policy = "compact" if spec.compacted else "delete"
        retention = "forever" if spec.retention_ms == -1 else (
            f"{spec.retention_ms // 86_400_000} days" if spec.retention_ms else "broker default"
        )
        state = "created" if spec.name in created else "exists"
        print(f"{spec.name:40} partitions={spec.partitions:<3} cleanup={policy:8} "
              f"retention={retention:15} {state}")
    return 0
