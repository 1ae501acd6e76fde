"""Read assigned partitions from the beginning to their end offsets (state, not silence).

A consumer that stops after N seconds without a record reads nothing at all when
the first fetch is slow (a loaded 2-core machine, a broker busy with other
tests). Reading until every position reaches the end offset taken up front
(``read_committed``: the last stable offset) has no such window.
"""

from __future__ import annotations

import time
from typing import Any

from kafka import TopicPartition

# Reading a test's few thousand records takes seconds; this only bounds a broker fault.
READ_DEADLINE_S = 120.0
POLL_MS = 500


def read_to_end(cons: Any, tps: list[TopicPartition]) -> list[Any]:
    """Every record of ``tps`` from the beginning up to the end offsets, in poll order."""
    cons.assign(tps)
    cons.seek_to_beginning(*tps)
    ends = cons.end_offsets(tps)
    out: list[Any] = []
    deadline = time.monotonic() + READ_DEADLINE_S
    while any(cons.position(tp) < ends[tp] for tp in tps):
        assert time.monotonic() < deadline, f"could not read to the end offsets {ends}"
        for batch in cons.poll(timeout_ms=POLL_MS).values():
            out.extend(batch)
    return out
