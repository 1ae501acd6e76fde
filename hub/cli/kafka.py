"""``mhub kafka start|stop|status|topics``: the local broker and the hub's topics.

``topics`` creates every topic the hub uses (``hub/kafka/topics.py``: partitions,
cleanup policy and retention explicit) on the local broker or on the cluster
named by ``KAFKA_BOOTSTRAP_SERVERS``, and lists them; existing topics are kept.
``status`` says whether the configured bootstrap servers answer. Both work
wherever the hub is installed.

``start`` and ``stop`` drive the local development broker (``infra.kafka.broker``),
which lives in the checkout, not in the installed package: elsewhere they say so
in one line and exit 2.
"""

from __future__ import annotations

import argparse
import socket
import sys

from hub.config import load_settings
from hub.kafka.topics import ensure_topics, topics_for

EXIT_NOT_IN_CHECKOUT = 2
# A broker on loopback or in the same data centre accepts a TCP connection in
# milliseconds; 2 s tells "down" from "slow" without making `status` hang.
CONNECT_TIMEOUT_S = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["start", "stop", "status", "topics"])


def run(args: argparse.Namespace) -> int:
    if args.action in {"start", "stop"}:
        return _local_broker(args.action)
    if args.action == "status":
        print(status())
        return 0
    return _topics()


def _local_broker(action: str) -> int:
    """Start or stop the development broker; only a checkout has it (infra/ is not shipped)."""
    try:
        from infra.kafka import broker
    except ModuleNotFoundError as exc:
        if exc.name not in {"infra", "infra.kafka", "infra.kafka.broker"}:
            raise
        print(f"mhub kafka {action}: the local broker is a development tool; run it from a "
              f"checkout of the hub: make kafka-{action}", file=sys.stderr)
        return EXIT_NOT_IN_CHECKOUT
    return broker.main([action])


def _answers(address: str) -> bool:
    host, _, port = address.strip().rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S):
            return True
    except (OSError, ValueError):
        return False


def status() -> str:
    """One line: which cluster the hub uses and whether any of its bootstrap servers answers."""
    settings = load_settings()
    kind = "external cluster" if settings.external_kafka else "local broker"
    up = any(_answers(a) for a in settings.kafka_bootstrap.split(",") if a.strip())
    return f"{kind} {settings.kafka_bootstrap}: {'up' if up else 'down'}"


def _topics() -> int:
    settings = load_settings()
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
