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

from hub.config import Settings
from hub.errors import StateError
from hub.kafka.message import Partition
from hub.kafka.readers import PartitionReader
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
POLL_TIMEOUT_S = 1.0


def chain_name(partition: int) -> str:
    return f"intake-{partition}"


def last_manifest(settings: Settings, topics: Topics, partition: int) -> bytes | None:
    """The last committed manifest of this partition's chain (None before the first)."""
    tp = (topics.batches, partition)
    reader = PartitionReader(settings)
    try:
        reader.assign([tp])
        end = reader.end_offsets()[tp]
        begin = reader.beginning_offsets()[tp]
        window = FIRST_WINDOW_OFFSETS
        while end > begin:
            start = max(begin, end - window)
            found = _last_in(reader, tp, start, end)
            if found is not None or start == begin:
                return found
            end, window = start, window * WINDOW_GROWTH
        return None
    finally:
        reader.close()


def _last_in(reader: PartitionReader, tp: Partition, start: int, end: int) -> bytes | None:
    reader.seek({tp: start})
    last = None
    deadline = time.monotonic() + READ_DEADLINE_S
    while reader.position(tp) < end:
        if time.monotonic() > deadline:
            raise StateError(f"could not read {tp[0]}[{tp[1]}] to offset {end}")
        for msg in reader.poll(POLL_TIMEOUT_S):
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
