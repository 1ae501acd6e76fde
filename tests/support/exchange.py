"""Helpers for the end-to-end tests: an isolated hub per test and an independent reader."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import TopicPartition
from lxml import etree

from hub.config import Settings, load_settings
from hub.kafka.clients import consumer
from hub.kafka.topics import Topics, ensure_topics, topics_for
from hub.model.families import EVENT_FAMILIES
from hub.model.notices import read_notice
from hub.sources import SourceConfig

EV = "{urn:kz:mhub:event:1}"


def isolated_settings(
    tmp_path: Path, kafka_settings: Settings, unique_name: Callable[[str], str], partitions: int = 2
) -> Settings:
    """A hub of its own: own var dir, own topic prefix, the shared real broker."""
    env = {
        "HUB_VAR_DIR": str(tmp_path / "var"),
        "HUB_TOPIC_PREFIX": unique_name("hub") + ".",
        "HUB_INTAKE_PARTITIONS": str(partitions),
    }
    if kafka_settings.external_kafka:
        env["KAFKA_BOOTSTRAP_SERVERS"] = kafka_settings.kafka_bootstrap
    settings = load_settings(env)
    ensure_topics(topics_for(settings).specs(), settings)
    return settings


def source(name: str, family: str, endpoint: str, **kw: Any) -> SourceConfig:
    return SourceConfig(name=name, family=family, endpoint=endpoint, owner="ops@example.kz", **kw)


@dataclass
class Published:
    """Everything on the hub's output topics, read back by an independent consumer."""

    events: list[tuple[bytes, etree._Element, dict[str, bytes]]] = field(default_factory=list)
    dlq: list[dict[str, Any]] = field(default_factory=list)
    corroborations: list[dict[str, Any]] = field(default_factory=list)
    manifests: list[bytes] = field(default_factory=list)

    @property
    def event_ids(self) -> Counter[str]:
        return Counter(ev.findtext(f"{EV}EventId") for _k, ev, _h in self.events)

    @property
    def event_versions(self) -> Counter[tuple[str, str]]:
        return Counter(
            (ev.findtext(f"{EV}EventId"), ev.findtext(f"{EV}EventVersion"))
            for _k, ev, _h in self.events
        )


# Reading every output topic to its end offsets takes well under a second per
# thousand events; a read that has not reached them in this long is a broker fault.
READ_DEADLINE_S = 120.0
POLL_MS = 500


def read_all(settings: Settings, topics: Topics | None = None) -> Published:
    """Every committed message of the output topics, read to the end offsets.

    ``read_committed`` with the end offsets taken first (the last stable offset of
    each partition): the read stops when every partition's position has reached
    it, never after a pause, so a slow broker cannot hide a trailing duplicate.
    """
    topics = topics or topics_for(settings)
    out = Published()
    names = [topics.events(f) for f in EVENT_FAMILIES] + [
        topics.dlq,
        topics.corroborations,
        topics.batches,
    ]
    cons = consumer(settings=settings)
    try:
        tps = [
            TopicPartition(t, p) for t in names for p in sorted(cons.partitions_for_topic(t) or [])
        ]
        cons.assign(tps)
        cons.seek_to_beginning(*tps)
        ends = cons.end_offsets(tps)
        deadline = time.monotonic() + READ_DEADLINE_S
        while any(cons.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                behind = {f"{tp.topic}[{tp.partition}]": ends[tp] for tp in tps}
                raise AssertionError(f"could not read to the end offsets {behind}")
            for batch in cons.poll(timeout_ms=POLL_MS).values():
                for msg in batch:
                    _keep(out, topics, msg)
    finally:
        cons.close()
    return out


def _keep(out: Published, topics: Topics, msg: Any) -> None:
    headers = dict(msg.headers or [])
    if msg.topic == topics.dlq:
        out.dlq.append(read_notice(msg.value))
    elif msg.topic == topics.corroborations:
        out.corroborations.append(json.loads(msg.value))
    elif msg.topic == topics.batches:
        out.manifests.append(msg.value)
    else:
        out.events.append((msg.key, etree.fromstring(msg.value), headers))
