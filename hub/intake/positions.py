"""Connector positions, stored in Kafka with the data they describe.

A source's position is written to the compacted connector-state topic in the
same transaction as the page's intake records, so the position moves if and
only if the records are published. On start, the latest committed position per
source is read back with ``read_committed``; aborted writes are invisible.
"""

from __future__ import annotations

import json
import time
from typing import Any

from hub.config import Settings
from hub.kafka.reading import NoSuchTopic, read_to_end

# How long a run waits at its end until its last position can be read back (see
# await_position); other sources' transactions last a page's commit, well under this.
SETTLE_DEADLINE_S = 30.0
SETTLE_PAUSE_S = 0.05


def encode_position(position: dict[str, Any]) -> bytes:
    return json.dumps(position, sort_keys=True, separators=(",", ":")).encode()


def load_positions(settings: Settings, topic: str) -> dict[str, dict[str, Any]]:
    """Latest committed position of every source in ``topic``, read to its end
    (``hub.kafka.reading``: librdkafka with a short fetch wait; kafka-python's consumer spent
    ~130 ms of CPU per read in its network thread, once per extract run). Nothing is
    committed and no group is joined; a topic not made yet holds no position."""
    positions: dict[str, dict[str, Any]] = {}
    try:
        for msg in read_to_end(topic, settings):
            key = (msg.key or b"").decode()
            if msg.value is None:
                positions.pop(key, None)
            else:
                positions[key] = json.loads(msg.value)
    except NoSuchTopic:
        return {}
    return positions


def await_position(
    settings: Settings,
    topic: str,
    source: str,
    position: dict[str, Any],
    *,
    deadline_s: float = SETTLE_DEADLINE_S,
) -> bool:
    """Wait until reading ``topic`` back gives ``source`` this committed position; whether
    it did before ``deadline_s``.

    Every source's position is on the topic's one partition, and a ``read_committed``
    reader stops at its last stable offset: another source's transaction still open
    there (its position sent, its registry write or commit not done) hides every later
    position, and so this one, until it ends. The next run of this source, reading
    then, would pull its last page again (stage 2 drops it as a replay, but a
    1,000,000-record run took 1,000 records twice). A run that waits for its position
    before it ends leaves the next run nothing stale to read: the stable offset only
    moves forward.
    """
    want = encode_position(position)
    deadline = time.monotonic() + deadline_s
    while True:
        got = load_positions(settings, topic).get(source)
        if got is not None and encode_position(got) == want:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(SETTLE_PAUSE_S)
