"""Names of the Kafka topics a test session creates, and their removal at its end.

Every topic prefix a test uses starts with ``test.<session>.``, so the session can delete
exactly its own topics when it ends: a broker reused across many runs (the development
broker ``make kafka-start`` leaves running) would otherwise grow by thousands of
partitions a run until it hits the open-file limit. Another session running at the same
time against the same broker has another ``<session>`` and keeps its topics.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from kafka import KafkaAdminClient

from hub.config import Settings
from hub.kafka.clients import admin

SESSION = uuid.uuid4().hex[:6]
SESSION_PREFIX = f"test.{SESSION}."
# Topics per DeleteTopics request: a session creates a few thousand.
DELETE_BATCH = 200


def topic_prefix(kind: str) -> str:
    """A topic prefix of this session that no other test uses (ends with a dot)."""
    return f"{SESSION_PREFIX}{kind}.{uuid.uuid4().hex[:8]}."


def topics_under(settings: Settings, prefix: str) -> list[str]:
    client = admin(settings)
    try:
        return _names_under(client, prefix)
    finally:
        client.close()


def _names_under(client: KafkaAdminClient, prefix: str) -> list[str]:
    return sorted(t for t in client.list_topics() if t.startswith(prefix))


def delete_topics_under(settings: Settings, prefix: str) -> int:
    """Delete every topic whose name starts with ``prefix``; the number deleted."""
    client = admin(settings, request_timeout_ms=60_000)
    try:
        names = _names_under(client, prefix)
        for i in range(0, len(names), DELETE_BATCH):
            client.delete_topics(names[i : i + DELETE_BATCH], timeout_ms=60_000)
    finally:
        client.close()
    return len(names)


def delete_session_topics(settings: Settings, say: Callable[[str], object]) -> None:
    """At the session's end: delete its topics and ``say`` how many, or why not; never
    raise (the tests' verdict is already in)."""
    try:
        deleted = delete_topics_under(settings, SESSION_PREFIX)
    except Exception as exc:  # said below; the session's result stands
        say(f"test topics of session {SESSION} not deleted: {exc}")
    else:
        say(f"deleted the topics test session {SESSION} created: {deleted}")
