"""``mhub kafka start|stop|status|topics``: the local broker and the hub's topics.

``topics`` creates every topic the hub uses (``hub/kafka/topics.py``: partitions,
cleanup policy and retention explicit) on the local broker or on the cluster
named by ``KAFKA_BOOTSTRAP_SERVERS``, and lists them; existing topics are kept.
"""

from __future__ import annotations

import argparse
import sys

from hub.config import Settings, load_settings
from hub.kafka.probe import probe
from hub.kafka.topics import ensure_topics, topics_for

EXIT_NOT_IN_CHECKOUT = 2

ACTIONS = {
    "start": "start the local broker (not with KAFKA_BOOTSTRAP_SERVERS)",
    "stop": "stop the local broker",
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
    """``topics`` needs a cluster; start/stop manage one, status probes it itself."""
    return bool(args.action == "topics")


def status(settings: Settings) -> int:
    """The local broker process (when the hub runs one) and what the cluster answers."""
    if not settings.external_kafka:
        broker = _local_broker_module()
        if broker is not None:
            print(broker.status())
    info = probe(settings)  # raises BrokerError: one line and exit 1 from the CLI handler
    print(
        f"kafka at {info.bootstrap}: cluster {info.cluster_id}, controller {info.controller_id}, "
        f"brokers {', '.join(info.brokers)} ({settings.kafka_security_protocol})"
    )
    return 0


def _local_broker_module() -> object | None:
    """infra.kafka.broker of a checkout; None where the hub is installed without infra/."""
    try:
        from infra.kafka import broker
    except ModuleNotFoundError as exc:
        if exc.name not in {"infra", "infra.kafka", "infra.kafka.broker"}:
            raise
        return None
    return broker


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "status":
        return status(settings)
    if args.action != "topics":
        if settings.external_kafka:
            print(f"mhub kafka {args.action}: KAFKA_BOOTSTRAP_SERVERS is set, the hub runs "
                  "no broker of its own; unset it to manage the local one", file=sys.stderr)
            return 2
        broker = _local_broker_module()
        if broker is None:
            print(f"mhub kafka {args.action}: the local broker is a development tool; run it "
                  f"from a checkout of the hub: make kafka-{args.action}", file=sys.stderr)
            return EXIT_NOT_IN_CHECKOUT
        return int(broker.main([args.action]) or 0)
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
