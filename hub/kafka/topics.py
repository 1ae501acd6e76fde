"""The hub's Kafka topics: names, partitioning, cleanup and retention in one place.

Intake, dedup index and batches are co-partitioned (same partition count): the
stage-2 writer of intake partition *p* owns index partition *p* and the audit
chain of batches partition *p*. Event topics are keyed by canonical person id.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.config import Settings, load_settings
from hub.kafka.clients import admin
from hub.kafka.errors import TOPIC_AUTHORIZATION_FAILED, broker_errors
from hub.model.families import EVENT_FAMILIES

if TYPE_CHECKING:  # kafka-python only where topics are created (see hub.kafka.clients)
    from kafka.admin import NewTopic

_DAY_MS = 24 * 3600 * 1000
# New topics get their partition leaders within seconds; a loaded broker may need more.
TOPIC_READY_TIMEOUT_MS = 30_000
# Events are the agencies' record of fact: keep a year so a new consumer can backfill.
EVENT_RETENTION_MS = 365 * _DAY_MS
# Quarantine is worked by operators within days; a month leaves room for holidays.
DLQ_RETENTION_MS = 30 * _DAY_MS
# Intake is consumed within minutes by stage 2; a week covers a long outage.
INTAKE_RETENTION_MS = 7 * _DAY_MS
# The bureau's feed: it reads within days; a year lets it re-read a whole year.
FEED_RETENTION_MS = 365 * _DAY_MS


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int = 1
    compacted: bool = False
    retention_ms: int | None = None

    def new_topic(self, replication_factor: int) -> NewTopic:
        from kafka.admin import NewTopic

        configs: dict[str, str] = {}
        if self.compacted:
            configs["cleanup.policy"] = "compact"
        if self.retention_ms is not None:
            configs["retention.ms"] = str(self.retention_ms)
        return NewTopic(self.name, self.partitions, replication_factor, topic_configs=configs)


def ensure_topics(specs: Iterable[TopicSpec], settings: Settings | None = None) -> list[str]:
    """Create the topics that do not exist yet; return the names this call created.

    A topic another client created meanwhile (or that the broker's metadata did not
    show yet) is not counted as created. Returns once every new topic has a leader
    for each partition, so the caller can produce to it at once.
    """
    from kafka.errors import NoError, TopicAlreadyExistsError, for_code

    settings = settings or load_settings()
    with broker_errors("creating topics"):
        client = admin(settings)
    try:
        with broker_errors("creating topics"):
            existing = set(client.list_topics())
            new = [s for s in specs if s.name not in existing]
            if not new:
                return []
            result = client.create_topics(
                [s.new_topic(settings.replication_factor) for s in new], raise_errors=False)
        created: list[str] = []
        for topic in result["topics"]:
            error = for_code(topic["error_code"])
            if error is NoError:
                created.append(topic["name"])
            elif error is not TopicAlreadyExistsError:
                with broker_errors(f"creating topic {topic['name']}", topic=topic["name"]):
                    raise error(str(topic.get("error_message") or ""))
        with broker_errors("waiting for the new topics' leaders"):
            client.wait_for_topics([s.name for s in new], timeout_ms=TOPIC_READY_TIMEOUT_MS)
        return [s.name for s in new if s.name in created]
    finally:
        client.close()


def refused_topics(settings: Settings, names: Iterable[str]) -> list[str]:
    """Those of ``names`` this principal may not describe, so not read (Kafka ACLs).

    A topic that does not exist yet is not refused: it can be read once it is made.
    """
    names = list(names)
    with broker_errors("describing topics"):
        client = admin(settings)
    try:
        with broker_errors("describing topics"):
            described = client.describe_topics(names)
    finally:
        client.close()
    return sorted(str(t["name"]) for t in described
                  if t.get("error_code") == TOPIC_AUTHORIZATION_FAILED)


@dataclass(frozen=True, slots=True)
class Topics:
    prefix: str
    partitions: int

    @property
    def intake(self) -> str:
        return f"{self.prefix}intake"

    def events(self, family: str) -> str:
        if family not in EVENT_FAMILIES:
            raise ValueError(f"unknown event family {family!r}")
        return f"{self.prefix}events.{family}"

    @property
    def identity(self) -> str:
        return f"{self.prefix}identity"

    @property
    def corroborations(self) -> str:
        return f"{self.prefix}corroborations"

    @property
    def dlq(self) -> str:
        return f"{self.prefix}dlq"

    @property
    def batches(self) -> str:
        return f"{self.prefix}batches"

    @property
    def dedup_index(self) -> str:
        return f"{self.prefix}dedup-index"

    @property
    def connector_state(self) -> str:
        return f"{self.prefix}connector-state"

    @property
    def statistics_feed(self) -> str:
        """The statistics bureau's pseudonymised feed (hub/deliver/bureau_feed.py)."""
        return f"{self.prefix}statistics-feed"

    def specs(self) -> list[TopicSpec]:
        p = self.partitions
        return [
            TopicSpec(self.intake, p, retention_ms=INTAKE_RETENTION_MS),
            *(TopicSpec(self.events(f), p, retention_ms=EVENT_RETENTION_MS)
              for f in EVENT_FAMILIES),
            TopicSpec(self.identity, p, retention_ms=EVENT_RETENTION_MS),
            TopicSpec(self.corroborations, p, retention_ms=EVENT_RETENTION_MS),
            TopicSpec(self.dlq, 1, retention_ms=DLQ_RETENTION_MS),
            # Batches keep the audit chain: never deleted.
            TopicSpec(self.batches, p, retention_ms=-1),
            # One entry blob per stage-2 transaction: a changelog the local index view
            # is rebuilt from, kept like the audit chain it sits beside.
            TopicSpec(self.dedup_index, p, retention_ms=-1),
            TopicSpec(self.connector_state, 1, compacted=True),
            # Created with the others, so the feed's writer needs no Create right (acls.sh).
            TopicSpec(self.statistics_feed, p, retention_ms=FEED_RETENTION_MS),
        ]


def intake_partition(partition_key: str, partitions: int) -> int:
    """The intake partition of a person (or fact) key: stable across processes and runs.

    Every report about one person lands in one partition, so one stage-2 writer
    owns that person's dedup decisions and event order.
    """
    return zlib.crc32(partition_key.encode()) % partitions


def topics_for(settings: Settings) -> Topics:
    return Topics(settings.topic_prefix, settings.intake_partitions)
