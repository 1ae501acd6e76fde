"""One stage-2 batch: decide, render, sign, and commit it in one transaction.

:meth:`BatchPublisher.publish` takes one poll of intake messages and, in
this order: decides every candidate against the dedup index (the batch's own
decisions included, so two reports of one fact in one batch are one event);
renders the events to publish as canonical bytes; signs their digests as one
Merkle batch; and in ONE transaction sends the events (each with its proof),
the manifest, the corroborations, the batch's index entries (one message) and
the consumed intake offset. Only after Kafka's commit does it apply the
entries to the local index view; if the transaction fails, the signer's chain
head is restored, so the next manifest links to the last *published* one.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from hub.config import Settings
from hub.kafka.message import Message
from hub.kafka.topics import Topics
from hub.kafka.transactions import Transaction, TransactionalProducer
from hub.model.candidate import Candidate, decode_batch
from hub.publish.cache import BoundedIndexCache
from hub.publish.corroboration import render_corroboration
from hub.publish.dedup import (
    DedupStats,
    IndexEntry,
    Outcome,
    Report,
    decide,
    record_index_key,
)
from hub.publish.index import ENTRIES_FORMAT, FORMAT_HEADER, DedupStore, encode_entries
from hub.publish.render import event_leaf, render_event, utc_now
from hub.runs import metrics
from hub.runs.summary import PublishRunSummary
from security.batch import BatchSigner

log = logging.getLogger(__name__)


@dataclass
class Decided:
    """A batch after dedup: what to publish, and the index entries it wrote."""

    events: list[Candidate] = field(default_factory=list)
    corroborations: list[dict[str, Any]] = field(default_factory=list)
    index: dict[bytes, IndexEntry] = field(default_factory=dict)


@dataclass
class BatchPublisher:
    producer: TransactionalProducer
    topics: Topics
    partition: int
    signer: BatchSigner
    store: DedupStore
    cache: BoundedIndexCache
    summary: PublishRunSummary
    settings: Settings | None = None
    stats: DedupStats = field(default_factory=DedupStats)

    def publish(self, messages: list[Message], group_metadata: Any) -> None:
        decided = self.decide(messages)
        head_before = self.signer.head
        started = time.monotonic()
        try:
            with self.producer.transaction() as txn:
                self._send(txn, decided)
                txn.send_offsets(
                    {(self.topics.intake, self.partition): messages[-1].offset + 1}, group_metadata
                )
        except BaseException:
            self.signer.head = head_before
            raise
        index_next = txn.delivered.offsets.get(f"{self.topics.dedup_index}:{self.partition}", -1)
        # Only this writer appends to index partition p, so everything below the
        # offset after this batch's message is applied once this batch is.
        self.store.apply(decided.index.items(), max(index_next + 1, self.store.applied_offset))
        for key, entry in decided.index.items():
            self.cache.put(key, entry)
        self._report(decided, time.monotonic() - started)

    def _report(self, decided: Decided, seconds: float) -> None:
        """A progress line and the metrics of one committed transaction."""
        published: dict[str, int] = {}
        for c in decided.events:
            published[c.family] = published.get(c.family, 0) + 1
        metrics.batch_published(
            self.settings, self.partition, published=published, seconds=seconds
        )
        log.info(
            "partition %d: batch committed in %.0f ms: %d events, %d corroborations "
            "(this run: %d consumed, %d published)",
            self.partition, seconds * 1000, len(decided.events), len(decided.corroborations),
            self.summary.consumed, self.summary.published_total,
        )

    def decide(self, messages: list[Message]) -> Decided:
        decided = Decided()
        pending = decided.index

        batch = [cand for msg in messages for cand in decode_batch(msg.value)]
        reports = [_report(cand) for cand in batch]
        # Every key the batch will look up, read from the store in one query per chunk
        # (a new fact's two keys were two point queries); those it lacks are not asked for.
        absent = self.cache.prefetch(
            (k for r in reports for k in (r.record_key, r.event_id.bytes)), self.store.get_many
        )

        def lookup(key: bytes) -> IndexEntry | None:
            found = pending.get(key)
            if found is not None or key in absent:
                return found
            return self.cache.get(key)

        self.summary.consumed += len(batch)
        for cand, report in zip(batch, reports, strict=True):
            decision = decide(report, lookup)
            self.stats.record(decision)
            pending.update(decision.writes)
            if decision.outcome in (Outcome.NEW, Outcome.CORRECTION):
                decided.events.append(cand)
            elif decision.outcome is Outcome.CORROBORATION:
                decided.corroborations.append(_corroboration(cand, lookup))
        return decided

    def _send(self, txn: Transaction, decided: Decided) -> None:
        topics = self.topics
        if decided.events or decided.corroborations:
            recorded_at = utc_now()
            rendered = [render_event(c, recorded_at) for c in decided.events]
            # corroborations are leaves of the same batch, after the events
            corr_xml = [render_corroboration(c) for c in decided.corroborations]
            signed = self.signer.sign_digests([event_leaf(r) for r in (*rendered, *corr_xml)])
            batch_id = signed.batch_id.encode()
            for i, (cand, body) in enumerate(zip(decided.events, rendered, strict=True)):
                txn.send(
                    topics.events(cand.family),
                    signed.splice_proof(body, i),
                    key=cand.partition_key.encode(),
                    headers=[
                        ("event-id", cand.event_id.encode()),
                        ("type", cand.fact.encode()),
                        ("schema-version", str(cand.schema_version).encode()),
                        ("source", cand.source.encode()),
                        ("batch-id", batch_id),
                    ],
                )
                self.summary.published[cand.family] += 1
            txn.send(
                topics.batches,
                signed.manifest_bytes,
                key=batch_id,
                partition=self.partition,
                headers=[("chain", signed.head.chain.encode())],
            )
            self.summary.batches += 1
            first = len(rendered)
            for i, corr in enumerate(decided.corroborations):
                corr["signed"] = signed.splice_proof(corr_xml[i], first + i).decode()
        for corr in decided.corroborations:
            txn.send(
                topics.corroborations,
                json.dumps(corr, separators=(",", ":"), ensure_ascii=False).encode(),
                key=(corr["person_id"] or corr["event_id"]).encode(),
                headers=[("event-id", corr["event_id"].encode())],
            )
        if decided.index:
            txn.send(
                topics.dedup_index,
                encode_entries(decided.index.items()),
                key=str(uuid.uuid4()).encode(),
                partition=self.partition,
                headers=[(FORMAT_HEADER, ENTRIES_FORMAT)],
                track=True,
            )


def _report(cand: Candidate) -> Report:
    return Report(
        uuid.UUID(cand.event_id),
        cand.source,
        cand.record_id,
        cand.version,
        bytes.fromhex(cand.content_digest),
        record_index_key(cand.source, cand.record_id),
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
