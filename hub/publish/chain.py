"""Where a partition's audit chain resumes: its last committed batch manifest.

Each intake partition's stage-2 writer signs its batches as one hash chain
(security.batch); a new run must link its first manifest to the last one that
was *committed*, however far back it sits. Aborted transactions (a crash loop
before commit) leave records and markers behind it that ``read_committed``
skips, so the search reads a growing tail window until it finds a manifest or
reaches the start of the partition: one short read in the usual case, never a
fork of the chain after many aborts.
"""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition

from hub.config import Settings
from hub.errors import StateError
from hub.kafka.clients import consumer
from hub.kafka.topics import Topics
from hub.keys import open_pki
from security.batch import BatchSigner, ChainHead
from security.safe_xml import parse_untrusted

# The last manifest usually sits within the last few offsets (plus commit markers).
FIRST_WINDOW_OFFSETS = 64
# Each miss widens the window this many times: a few reads reach any depth.
WINDOW_GROWTH = 8
# Reading a window that long is a broker problem, not a long chain.
READ_DEADLINE_S = 60.0
POLL_TIMEOUT_MS = 1_000


def chain_name(partition: int) -> str:
    return f"intake-{partition}"


def last_manifest(settings: Settings, topics: Topics, partition: int) -> bytes | None:
    """The last committed manifest of this partition's chain (None before the first)."""
    tp = TopicPartition(topics.batches, partition)
    cons = consumer(settings=settings)
    try:
        cons.assign([tp])
        end = cons.end_offsets([tp])[tp]
        begin = cons.beginning_offsets([tp])[tp]
        window = FIRST_WINDOW_OFFSETS
        while end > begin:
            start = max(begin, end - window)
            found = _last_in(cons, tp, start, end)
            if found is not None or start == begin:
                return found
            end, window = start, window * WINDOW_GROWTH
        return None
    finally:
        cons.close()


def _last_in(cons: KafkaConsumer, tp: TopicPartition, start: int, end: int) -> bytes | None:
    cons.seek(tp, start)
    last = None
    deadline = time.monotonic() + READ_DEADLINE_S
    while cons.position(tp) < end:
        if time.monotonic() > deadline:
            raise StateError(f"could not read {tp.topic}[{tp.partition}] to offset {end}")
        for msg in cons.poll(timeout_ms=POLL_TIMEOUT_MS).get(tp, []):
            if msg.offset < end:
                last = msg.value
    return last


def open_batch_signer(settings: Settings, topics: Topics, partition: int) -> BatchSigner:
    """The signer of partition ``partition``'s chain, resumed after its last manifest.

    Call it after the stage's producer initialised its transactions: any zombie's
    open transaction is aborted by then, so the last committed manifest is the head.
    """
    last = last_manifest(settings, topics, partition)
    head = ChainHead.after(parse_untrusted(last)) if last else None
    return BatchSigner(open_pki(settings).hub_signing_key(), chain=chain_name(partition), head=head)
