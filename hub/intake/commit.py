"""``commit_page``: one page's outcome and the source's position, in one Kafka transaction.

What the transaction holds, and why together: the page's candidates (one
intake message per intake partition, in page order), its quarantined records
(one DLQ message each, with every finding), the identity notices it caused,
and the source's position after the page. A crash before the commit leaves
nothing visible and the position unmoved, so the retry pulls the same page; a
crash after it never pulls the page again. Persons resolved for the page are
made durable before the commit: a retry re-resolves to the same ids. DLQ
entries and identity notices are sealed (signed one by one,
``hub.model.notices``), so an agency checks them without the hub's code.

Merge notices are not taken from the page but from the registry, after its
flush inside the transaction: every merge this source wrote and no committed
transaction carried yet (``merges.published``), so a merge flushed by a page
whose transaction then aborted goes out with the next page, once. After the
commit they are marked published; a kill between the commit and the mark
re-sends them (merges are idempotent for consumers: same survivor, same
absorbed id).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from hub.intake.page import PageOutcome
from hub.intake.positions import encode_position
from hub.kafka.topics import Topics, intake_partition
from hub.kafka.transactions import TransactionalProducer
from hub.model.candidate import INTAKE_SCHEMA, Candidate, encode_batches
from hub.model.notices import DLQ, IDENTITY
from hub.runs.summary import SourceRunSummary

# An intake message carries up to this many bytes of candidates: well under the
# broker's default 1 MB message limit, large enough that a page costs a few messages.
INTAKE_MESSAGE_MAX_BYTES = 512 * 1024


class MergeOutbox(Protocol):
    """The registry's merges a source has written but not yet published."""

    def unpublished(self) -> Sequence[dict[str, Any]]: ...

    def published(self) -> None: ...


class Seal(Protocol):
    """Signs a notice body into the Kafka value (``hub.model.notices.NoticeSealer``)."""

    def __call__(self, kind: str, body: dict[str, Any]) -> bytes: ...


def commit_page(
    producer: TransactionalProducer,
    topics: Topics,
    source: str,
    outcome: PageOutcome,
    position: dict[str, Any],
    *,
    before_commit: Callable[[], None],
    summary: SourceRunSummary,
    seal: Seal,
    merges: MergeOutbox | None = None,
) -> None:
    """Write the page and its position atomically; ``before_commit`` runs inside the txn.

    With ``merges``, merge notices come from it after ``before_commit`` (see module).
    """
    headers = [("source", source.encode()), ("schema", INTAKE_SCHEMA)]
    with producer.transaction() as txn:
        for partition, batch in _by_partition(outcome.candidates, topics.partitions).items():
            for count, value in encode_batches(batch, INTAKE_MESSAGE_MAX_BYTES):
                txn.send(
                    topics.intake,
                    value,
                    key=source.encode(),
                    partition=partition,
                    headers=[*headers, ("count", str(count).encode())],
                )
        for q in outcome.quarantined:
            txn.send(
                topics.dlq,
                seal(DLQ, q.dlq_value()),
                key=q.raw.record_id.encode(),
                headers=[*headers, ("rule", q.rule.encode())],
            )
        notices = outcome.identity
        if merges is not None:
            notices = [n for n in notices if n.get("kind") != "merge"]
        txn.send(topics.connector_state, encode_position(position), key=source.encode())
        before_commit()
        if merges is not None:
            notices = [*notices, *merges.unpublished()]
        for notice in notices:
            key = notice.get("survivor") or notice["person_ids"][0]
            txn.send(topics.identity, seal(IDENTITY, notice), key=key.encode())
    if merges is not None:
        merges.published()
    _count(summary, outcome, position)


def _by_partition(candidates: list[Candidate], partitions: int) -> dict[int, list[Candidate]]:
    out: dict[int, list[Candidate]] = defaultdict(list)
    for c in candidates:
        out[intake_partition(c.partition_key, partitions)].append(c)
    return out


def _count(summary: SourceRunSummary, outcome: PageOutcome, position: dict[str, Any]) -> None:
    summary.pages += 1
    summary.pulled += len(outcome.candidates) + len(outcome.quarantined)
    summary.valid += len(outcome.candidates)
    summary.intake += len(outcome.candidates)
    for q in outcome.quarantined:
        # Counted once, by its first finding, so the counts add up to records.
        summary.quarantined[q.rule] += 1
    summary.position = dict(position)
