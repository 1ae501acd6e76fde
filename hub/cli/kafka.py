"""``mhub kafka start|stop|status|topics``: the local broker and the hub's topics.

``topics`` creates every topic the hub uses (``hub/kafka/topics.py``: partitions,
cleanup policy and retention explicit) on the local broker or on the cluster
named by ``KAFKA_BOOTSTRAP_SERVERS``, and lists them; existing topics are kept.
"""

from __future__ import annotations

import argparse

from hub.config import load_settings
from hub.kafka.topics import ensure_topics, topics_for
from infra.kafka import broker


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["start", "stop", "status", "topics"])


def run(args: argparse.Namespace) -> int:
    if args.action != "topics":
        return broker.main([args.action])
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
