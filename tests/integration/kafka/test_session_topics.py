"""The test session deletes its own topics at its end, and only those."""

from __future__ import annotations

import time

from hub.kafka.topics import TopicSpec, ensure_topics
from tests.support.names import SESSION_PREFIX, delete_topics_under, topic_prefix, topics_under


def test_topics_under_a_prefix_are_deleted_and_their_neighbours_kept(kafka_settings) -> None:
    doomed, kept = topic_prefix("cleanup"), topic_prefix("cleanup")
    assert doomed.startswith(SESSION_PREFIX) and doomed != kept
    ensure_topics(
        [TopicSpec(f"{doomed}a", 2), TopicSpec(f"{doomed}b", 1), TopicSpec(f"{kept}a", 1)],
        kafka_settings,
    )
    assert delete_topics_under(kafka_settings, doomed) == 2
    # The controller has deleted them; the broker's metadata follows within moments.
    deadline = time.monotonic() + 30
    while topics_under(kafka_settings, doomed) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert topics_under(kafka_settings, doomed) == []
    assert topics_under(kafka_settings, kept) == [f"{kept}a"]
