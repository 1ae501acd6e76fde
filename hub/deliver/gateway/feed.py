"""Feeding the partner queues from the event topics, exactly once per event per partner.

The feeder reads the families any partner may receive with ``read_committed``
and no consumer group: its positions live in the gateway database, written in
the same SQLite transaction as the messages made from the records before them.
Each event is verified (per-event signature or batch proof), matched against
every partner's rules, cut down to the fields the agreement allows, wrapped in
a ``PartnerMessage`` carrying a new message id and the event id, and signed.
A crash before the transaction commits leaves neither messages nor offsets, and
the records are read again; (partner, event id, version) is unique as a second guard.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hub.config import Settings
from hub.deliver.consumer.consumer import decode_event
from hub.deliver.consumer.model import Rejected
from hub.deliver.consumer.proofs import EventVerifier, load_trust
from hub.deliver.consumer.state import ConsumerState
from hub.deliver.gateway.config import GatewayConfig
from hub.deliver.gateway.message import partner_message
from hub.deliver.gateway.queue import NewMessage, QueueStore, new_message_id
from hub.deliver.gateway.rules import selects
from hub.deliver.gateway.signing import MessageSigner
from hub.kafka.faults import FaultHook
from hub.kafka.message import Message, Partition
from hub.kafka.readers import PartitionReader
from hub.kafka.topics import topics_for

log = logging.getLogger(__name__)

# Records per poll, hence per SQLite transaction: one fsync amortised over many
# messages, while a transaction stays well under a second (signing ~0.3 ms each).
MAX_POLL_RECORDS = 500
POLL_TIMEOUT_MS = 500
# Event topics created (or partitions added) after the gateway started are
# picked up within this; metadata lookups are cheap but need not be per poll.
REASSIGN_INTERVAL_S = 30.0


@dataclass
class FeedCounts:
    consumed: int = 0
    rejected: int = 0
    #: events already queued for a partner (re-published or re-read): not queued again
    duplicates: int = 0
    queued: Counter[str] = field(default_factory=Counter)  # per partner
    rejected_rules: Counter[str] = field(default_factory=Counter)

    def add(self, other: FeedCounts) -> None:
        self.consumed += other.consumed
        self.rejected += other.rejected
        self.duplicates += other.duplicates
        self.queued.update(other.queued)
        self.rejected_rules.update(other.rejected_rules)

    def to_dict(self) -> dict[str, Any]:
        return {
            "consumed": self.consumed,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "rejected_rules": dict(self.rejected_rules),
            "queued": dict(self.queued),
        }


class Feeder:
    def __init__(
        self, config: GatewayConfig, settings: Settings, store: QueueStore, signer: MessageSigner
    ) -> None:
        self.config = config
        self.store = store
        self.signer = signer
        self.topics = topics_for(settings)
        # The queue's SQLite commit is this consumer's transaction: the crash tests kill here.
        self.faults = FaultHook(settings.crash_at)
        self.state = ConsumerState(config.feed_state)
        self.verifier = EventVerifier(
            load_trust(config.trust_dir), settings, self.state, self.topics.batches
        )
        self._reader = PartitionReader(settings, max_poll_records=MAX_POLL_RECORDS)
        self._assigned: list[Partition] = []
        self._assign()

    def _assign(self) -> None:
        self._assigned_at = time.monotonic()
        wanted: list[Partition] = []
        for family in self.config.families:
            topic = self.topics.events(family)
            parts = self._reader.partitions(topic)
            if not parts:
                log.warning("event topic %s does not exist (yet)", topic)
                continue
            wanted.extend((topic, p) for p in parts)
        if set(wanted) == set(self._assigned):
            return
        self._reader.assign(wanted)
        self._assigned = wanted
        self._seek_to_stored()

    def _seek_to_stored(self) -> None:
        self._reader.seek(self.store.offsets())

    def poll_once(self, timeout_ms: int = POLL_TIMEOUT_MS) -> FeedCounts:
        counts = FeedCounts()
        if time.monotonic() - self._assigned_at >= REASSIGN_INTERVAL_S:
            self._assign()
        if not self._assigned:
            time.sleep(timeout_ms / 1000)  # nothing to read yet: do not spin
            return counts
        polled = self._reader.poll(timeout_ms / 1000)
        if not polled:
            return counts
        try:
            messages: list[NewMessage] = []
            offsets: dict[Partition, int] = {}
            keys: set[tuple[str, str, int]] = set()  # (partner, event id, version) in this poll
            for record in polled:
                counts.consumed += 1
                new = self._messages_for(record, counts, keys)
                keys.update((m.partner, m.event_id, m.event_version) for m in new)
                messages.extend(new)
                offsets[(record.topic, record.partition)] = record.offset + 1
            self.faults.reached("gateway.before-enqueue")
            self.store.enqueue(messages, offsets)
            self.faults.reached("gateway.after-enqueue")
        except BaseException:
            # Nothing of this poll was stored: read it again from the stored offsets.
            self._seek_to_stored()
            raise
        for m in messages:
            counts.queued[m.partner] += 1
        return counts

    def _messages_for(
        self, record: Message, counts: FeedCounts, batch: set[tuple[str, str, int]]
    ) -> list[NewMessage]:
        item = decode_event(self.verifier, self.topics, record)
        if isinstance(item, Rejected):
            counts.rejected += 1
            counts.rejected_rules[item.rule] += 1
            log.warning("not forwarding %s (%s): %s", item.event_id or "?", item.rule, item.reason)
            return []
        out = []
        now = self.store.clock()
        for rule in self.config.partners:
            if not selects(rule, item):
                continue
            key = (rule.code, item.event_id, item.version)
            if key in batch or self.store.has(*key):
                counts.duplicates += 1
                continue
            message_id = new_message_id()
            body = self.signer.sign(partner_message(item, rule.code, message_id, rule.fields, now))
            out.append(
                NewMessage(
                    rule.code, item.event_id, item.version, item.family, item.type, message_id, body
                )
            )
        return out

    def drain(self, *, deadline_s: float = 60.0) -> FeedCounts:
        """Feed until every assigned partition is read to its end (or the deadline)."""
        total = FeedCounts()
        stop = time.monotonic() + deadline_s
        while time.monotonic() < stop:
            counts = self.poll_once()
            total.add(counts)
            if counts.consumed == 0 and (not self._assigned or self._reader.at_end()):
                break
        return total

    def close(self) -> None:
        self._reader.close()
        self.verifier.close()
        self.state.close()
