"""Stage 2 of the exchange, per intake partition: dedup -> sign -> publish, exactly once.

Kafka's consume-transform-produce: read intake partition *p* with
``read_committed``; per batch, decide replay / new / correction / stale /
corroboration against the partition's dedup index, build and batch-sign the
events (one Merkle root, one XMLDSig over the manifest, an inclusion proof in
every event), and in ONE transaction write the events, the corroborations, the
index entries and the manifest, and commit the consumed offsets
(``send_offsets_to_transaction``). The transactional id is per partition, so a
zombie writer of the same partition is fenced. Intake is keyed by person, so
every report of a fact lands here and this writer alone decides its fate.

    python -m hub.publish.stage --partition 0     # one process per partition
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata
from lxml import etree

from hub.config import Settings, load_settings
from hub.intake.pipeline import Candidate, decode_candidate
from hub.kafka.clients import consumer, producer
from hub.kafka.faults import crash_point
from hub.kafka.topics import Topics, topics_for
from hub.keys import open_pki
from hub.ops.run_summary import PublishRunSummary, save
from hub.publish.dedup import (
    BoundedIndexCache,
    DedupStats,
    IndexEntry,
    Outcome,
    Report,
    decide,
    encode_entry,
)
from hub.publish.index import DedupStore
from hub.publish.render import build_event
from security.batch import BatchSigner, ChainHead
from security.safe_xml import parse_untrusted

# Records per transaction: large enough that the batch signature, the transaction
# markers and the offset commit are amortised (~1 ms each), small enough that a
# transaction stays well under a second and a retry redoes little.
BATCH_MAX_RECORDS = 2_000
# How long one poll waits for intake records before checking whether the partition is drained.
POLL_TIMEOUT_MS = 500
# A partition that cannot be drained in this long is handed back to the scheduler.
RUN_DEADLINE_S = 1_800.0
# Index entries kept in memory (~71 bytes each, see hub.publish.dedup): 1M entries is
# ~71 MB; the rest is read from the local SQLite view on a miss.
INDEX_CACHE_ENTRIES = 1_000_000
# The last manifest sits within the last few offsets (plus commit markers).
CHAIN_TAIL_OFFSETS = 64


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
class _Batch:
    """What one transaction will write, and the index view including its own writes."""

    events: list[tuple[Candidate, etree._Element]] = field(default_factory=list)
    corroborations: list[dict[str, Any]] = field(default_factory=list)
    index: dict[bytes, IndexEntry] = field(default_factory=dict)
    last_offset: int = -1


def _last_manifest(settings: Settings, topics: Topics, partition: int) -> bytes | None:
    """The last committed manifest of this partition's chain (None before the first)."""
    tp = TopicPartition(topics.batches, partition)
    cons = consumer(settings=settings)
    try:
        cons.assign([tp])
        end = cons.end_offsets([tp])[tp]
        if end == 0:
            return None
        # Transaction markers occupy offsets too: read a short tail to find the last record.
        cons.seek(tp, max(cons.beginning_offsets([tp])[tp], end - CHAIN_TAIL_OFFSETS))
        last = None
        deadline = time.monotonic() + 30
        while cons.position(tp) < end and time.monotonic() < deadline:
            for msg in cons.poll(timeout_ms=1000).get(tp, []):
                last = msg.value
        return last
    finally:
        cons.close()


def open_batch_signer(settings: Settings, topics: Topics, partition: int) -> BatchSigner:
    """The signer of partition ``partition``'s chain, resumed after its last manifest."""
    chain = f"intake-{partition}"
    last = _last_manifest(settings, topics, partition)
    head = ChainHead.after(parse_untrusted(last)) if last else None
    return BatchSigner(open_pki(settings).hub_signing_key(), chain=chain, head=head)


def publish_partition(
    partition: int,
    settings: Settings | None = None,
    run_id: str = "",
    *,
    max_records: int | None = None,
) -> PublishRunSummary:
    """Drain intake partition ``partition``; return what was published."""
    settings = settings or load_settings()
    topics = topics_for(settings)
    summary = PublishRunSummary(partition=partition, run_id=run_id)
    tp = TopicPartition(topics.intake, partition)
    store = DedupStore(settings.var_dir / "dedup" / f"p{partition}.sqlite", partition)
    cons = consumer(
        settings=settings, group_id=group_id(settings), max_poll_records=BATCH_MAX_RECORDS
    )
    prod = producer(settings, transactional_id=transactional_id(settings, partition))
    stats = DedupStats()
    cache = BoundedIndexCache(INDEX_CACHE_ENTRIES, miss=store.get)
    try:
        prod.init_transactions()
        store.catch_up(settings, topics.dedup_index)
        # After init_transactions: any zombie's open transaction is aborted, so the
        # last committed manifest is the true head of this partition's chain.
        signer = open_batch_signer(settings, topics, partition)
        cons.assign([tp])
        committed = cons.committed(tp)
        if committed is None:
            cons.seek_to_beginning(tp)
        else:
            cons.seek(tp, committed)
        deadline = time.monotonic() + RUN_DEADLINE_S
        while time.monotonic() < deadline:
            if max_records is not None and summary.consumed >= max_records:
                break
            msgs = cons.poll(timeout_ms=POLL_TIMEOUT_MS).get(tp, [])
            if not msgs:
                if cons.position(tp) >= cons.end_offsets([tp])[tp]:
                    break
                continue
            batch = _Batch()

            def lookup(key: bytes, pending: dict[bytes, IndexEntry] = batch.index) -> Any:
                return pending.get(key) or cache.get(key)

            for msg in msgs:
                cand = decode_candidate(msg.value)
                decision = decide(_report(cand), lookup)
                stats.record(decision)
                batch.index.update(decision.writes)
                if decision.outcome in (Outcome.NEW, Outcome.CORRECTION):
                    batch.events.append((cand, build_event(cand, event_version=cand.version)))
                elif decision.outcome is Outcome.CORROBORATION:
                    batch.corroborations.append(_corroboration(cand, lookup))
                batch.last_offset = msg.offset
            summary.consumed += len(msgs)
            index_next = _commit_batch(prod, cons, topics, partition, batch, signer, summary)
            # Only this writer appends to index partition p, so everything below
            # ``index_next`` is applied once this batch is.
            store.apply(batch.index.items(), max(index_next, store.applied_offset))
            for key, entry in batch.index.items():
                cache.put(key, entry)
            crash_point("stage2.after-commit")
        summary.lag_records = max(0, cons.end_offsets([tp])[tp] - cons.position(tp))
        summary.state = "success"
    except Exception as exc:
        summary.state = "failed"
        summary.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        summary.new = stats.counts[Outcome.NEW]
        summary.corrections = stats.counts[Outcome.CORRECTION]
        summary.replays = stats.counts[Outcome.REPLAY]
        summary.stale = stats.counts[Outcome.STALE]
        summary.corroborations = stats.counts[Outcome.CORROBORATION]
        summary.finished_at = time.time()
        save(summary, settings.var_dir / "runs")
        prod.close()
        cons.close()
        store.close()
    return summary


def _report(cand: Candidate) -> Report:
    return Report(
        uuid.UUID(cand.event_id),
        cand.source,
        cand.record_id,
        cand.version,
        bytes.fromhex(cand.content_digest),
    )


def _corroboration(cand: Candidate, lookup: Any) -> dict[str, Any]:
    first = lookup(uuid.UUID(cand.event_id).bytes)
    return {
        "kind": "corroboration",
        "event_id": cand.event_id,
        "event_key": cand.event_key,
        "type": cand.fact,
        "source": cand.source,
        "record_id": cand.record_id,
        "version": cand.version,
        "raw_digest": cand.raw_digest,
        "first_source": first.first_source if first else "",
        "person_id": cand.person_id,
    }


def _commit_batch(
    prod: Any,
    cons: Any,
    topics: Topics,
    partition: int,
    batch: _Batch,
    signer: BatchSigner,
    summary: PublishRunSummary,
) -> int:
    """One transaction: events, manifest, corroborations, index entries, consumed offsets.

    Returns the index-topic offset after this batch's entries. On any failure the
    transaction is aborted and the signer's chain head restored, so the next
    manifest links to the last *published* one.
    """
    head_before = signer.head
    prod.begin_transaction()
    crash_point("stage2.after-begin")
    try:
        published, index_futures = _send_batch(prod, topics, partition, batch, signer)
        tp = TopicPartition(topics.intake, partition)
        prod.send_offsets_to_transaction(
            {tp: OffsetAndMetadata(batch.last_offset + 1, "", -1)}, cons.group_metadata()
        )
        crash_point("stage2.before-commit")
        prod.commit_transaction()
    except BaseException:
        signer.head = head_before
        with contextlib.suppress(Exception):  # fenced or closed: the broker aborts it
            prod.abort_transaction()
        raise
    summary.published.update(published)
    summary.batches += 1 if batch.events else 0
    return max((f.get().offset + 1 for f in index_futures), default=0)


def _send_batch(
    prod: Any, topics: Topics, partition: int, batch: _Batch, signer: BatchSigner
) -> tuple[Counter[str], list[Any]]:
    published: Counter[str] = Counter()
    if batch.events:
        signed = signer.sign_events([el for _c, el in batch.events])
        for i, (cand, el) in enumerate(batch.events):
            prod.send(
                topics.events(cand.family),
                key=cand.partition_key.encode(),
                value=signed.splice_proof(etree.tostring(el, encoding="UTF-8"), i),
                headers=[
                    ("event-id", cand.event_id.encode()),
                    ("type", cand.fact.encode()),
                    ("schema-version", str(cand.schema_version).encode()),
                    ("source", cand.source.encode()),
                    ("batch-id", signed.batch_id.encode()),
                ],
            )
            published[cand.family] += 1
        prod.send(
            topics.batches,
            key=signed.batch_id.encode(),
            value=signed.manifest_bytes,
            partition=partition,
            headers=[("chain", signed.head.chain.encode())],
        )
        crash_point("stage2.mid-transaction")
    for corr in batch.corroborations:
        prod.send(
            topics.corroborations,
            key=corr["person_id"].encode() or corr["event_id"].encode(),
            value=json.dumps(corr, separators=(",", ":")).encode(),
            headers=[("event-id", corr["event_id"].encode())],
        )
    index_futures = [
        prod.send(topics.dedup_index, key=key, value=encode_entry(entry), partition=partition)
        for key, entry in batch.index.items()
    ]
    return published, index_futures


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
