"""Stage 2 of the exchange, per intake partition: dedup -> render -> sign -> publish.

Kafka's consume-transform-produce: read intake partition *p* with
``read_committed``; for each batch of intake messages decide replay / new /
correction / stale / corroboration against the partition's dedup index,
render the events (canonical bytes), batch-sign them (one Merkle root, one
XMLDSig over the manifest, an inclusion proof spliced into every event), and
in ONE transaction write the events, the corroborations, the batch's index
entries (one message), the manifest, and the consumed intake offsets. The
transactional id is per partition, so a zombie writer of the same partition is
fenced. Intake is keyed by person, so every report of a fact lands here and
this writer alone decides its fate.

    python -m hub.publish.stage --partition 0     # one process per partition
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

from hub.batch_gc import batch_gc
from hub.config import Settings, load_settings
from hub.kafka.exactly_once import IntakeReader
from hub.kafka.message import Message
from hub.kafka.topics import Topics, topics_for
from hub.kafka.transactions import TransactionalProducer
from hub.publish.batch import BatchPublisher
from hub.publish.cache import BoundedIndexCache
from hub.publish.chain import open_batch_signer
from hub.publish.dedup import DedupStats, Outcome
from hub.publish.index import DedupStore
from hub.runs.summary import PublishRunSummary, recorded

# Intake messages per poll: each holds one page's candidates for this partition
# (a few hundred records), so one poll makes a transaction of a few thousand
# records: the signature, the markers and the offset commit are amortised over
# them, and a transaction still stays well under a second.
MESSAGES_PER_POLL = 16
# How long one poll waits for intake before checking whether the partition is drained.
POLL_TIMEOUT_S = 0.5
# A partition that cannot be drained in this long is handed back to the scheduler.
RUN_DEADLINE_S = 1_800.0
# Index entries kept in memory (~71 bytes each, see hub.publish.dedup): 1M entries
# is ~71 MB; the rest is read from the local SQLite view on a miss.
INDEX_CACHE_ENTRIES = 1_000_000


def transactional_id(settings: Settings, partition: int) -> str:
    """One per intake partition (a zombie writer is fenced), per hub on a shared cluster."""
    return f"{settings.topic_prefix}stage2-p{partition}"


def group_id(settings: Settings) -> str:
    """The consumer group whose committed offsets are stage 2's position in intake."""
    return f"{settings.topic_prefix}stage2"


def intake_partitions(settings: Settings | None = None) -> list[int]:
    settings = settings or load_settings()
    return list(range(settings.intake_partitions))


@dataclass
class PartitionRun:
    """What publishing one partition holds open, closed together."""

    reader: IntakeReader
    publisher: BatchPublisher
    stack: ExitStack = field(default_factory=ExitStack)

    @classmethod
    def open(
        cls, settings: Settings, topics: Topics, partition: int, summary: PublishRunSummary
    ) -> PartitionRun:
        stack = ExitStack()
        try:
            store = DedupStore(settings.var_dir / "dedup" / f"p{partition}.sqlite", partition)
            stack.callback(store.close)
            producer = TransactionalProducer.open(
                settings, transactional_id(settings, partition), role="stage2",
                probe_topic=topics.intake,
            )
            stack.callback(producer.close)
            # After init_transactions: a zombie's open transaction is aborted, so the
            # index topic and the chain end at what was really committed.
            store.catch_up(settings, topics.dedup_index)
            signer = open_batch_signer(settings, topics, partition)
            reader = IntakeReader(settings, topics.intake, partition, group_id(settings))
            stack.callback(reader.close)
        except BaseException:
            stack.close()
            raise
        cache = BoundedIndexCache(INDEX_CACHE_ENTRIES, miss=store.get)
        publisher = BatchPublisher(
            producer, topics, partition, signer, store, cache, summary, settings
        )
        return cls(reader, publisher, stack)


def publish_partition(
    partition: int,
    settings: Settings | None = None,
    run_id: str = "",
    *,
    max_records: int | None = None,
    follow: Callable[[], bool] | None = None,
) -> PublishRunSummary:
    """Drain intake partition ``partition``; return what was published.

    ``follow`` keeps the run polling at the partition's end for as long as it
    returns True (a long-running publisher beside running sources).
    """
    settings = settings or load_settings()
    topics = topics_for(settings)
    summary = PublishRunSummary(partition=partition, run_id=run_id)
    stats = DedupStats()
    with (batch_gc(),
          recorded(summary, settings.var_dir / "runs", before_save=lambda: _count(summary, stats))):
        run = PartitionRun.open(settings, topics, partition, summary)
        run.publisher.stats = stats
        with run.stack:
            for batch in _batches(run.reader, max_records, summary, follow):
                run.publisher.publish(batch, run.reader.group_metadata)
            summary.backlog_records = run.reader.backlog()
    return summary


def _batches(
    reader: IntakeReader,
    max_records: int | None,
    summary: PublishRunSummary,
    follow: Callable[[], bool] | None,
) -> Iterator[list[Message]]:
    """Polls of intake messages until the partition is drained (or a limit is reached)."""
    deadline = time.monotonic() + RUN_DEADLINE_S
    while time.monotonic() < deadline:
        if max_records is not None and summary.consumed >= max_records:
            return
        msgs = reader.poll(MESSAGES_PER_POLL, POLL_TIMEOUT_S)
        if msgs:
            yield msgs
        elif reader.at_end and (follow is None or not follow()):
            return


def _count(summary: PublishRunSummary, stats: DedupStats) -> None:
    summary.new = stats.counts[Outcome.NEW]
    summary.corrections = stats.counts[Outcome.CORRECTION]
    summary.replays = stats.counts[Outcome.REPLAY]
    summary.stale = stats.counts[Outcome.STALE]
    summary.corroborations = stats.counts[Outcome.CORROBORATION]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.publish.stage", description=__doc__)
    parser.add_argument("--partition", type=int, action="append", required=True)
    parser.add_argument("--run-id", default="")
    args = parser.parse_args(argv)
    for p in args.partition:
        s = publish_partition(p, run_id=args.run_id)
        print(json.dumps(s.to_dict(), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
