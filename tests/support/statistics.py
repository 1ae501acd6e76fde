"""Independent readers for the statistics tests: plain consumers, read_committed, from the start."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kafka import TopicPartition
from lxml import etree

from hub.config import Settings
from hub.deliver.bureau_feed import feed_topic
from hub.kafka.clients import consumer
from hub.kafka.topics import topics_for
from tests.support.topic_reader import read_to_end

EV = "{urn:kz:mhub:event:1}"


def read_topic(settings: Settings, topic: str) -> list[bytes]:
    """Every committed value of ``topic``, partition by partition."""
    cons = consumer(settings=settings)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(cons.partitions_for_topic(topic) or [])]
        return [m.value for m in read_to_end(cons, tps)]  # to the end offsets, not a silence
    finally:
        cons.close()


def read_feed(settings: Settings) -> list[dict]:
    return [json.loads(v) for v in read_topic(settings, feed_topic(settings))]


def events(settings: Settings, families: tuple[str, ...]) -> list[etree._Element]:
    """The ``Event`` elements of the families' event topics."""
    out = []
    for family in families:
        for raw in read_topic(settings, topics_for(settings).events(family)):
            root = etree.fromstring(raw)
            if root.tag == f"{EV}Event":
                out.append(root)
    return out


def hub_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a hub process with these settings (this checkout's code)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        {
            "HUB_VAR_DIR": str(settings.var_dir),
            "HUB_TOPIC_PREFIX": settings.topic_prefix,
            "HUB_INTAKE_PARTITIONS": str(settings.intake_partitions),
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap,
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
    )
    env.update(extra)
    return env
