"""``EventConsumer``: what an agency runs to receive the hub's events.

    consumer = EventConsumer(["border"], settings, trust=ca_pem, state_dir=path, group="mvd.border")
    for event in consumer.events():     # verified, deduplicated, identity-resolved
        handle(event)                   # when the loop asks for the next one, this one is done
    consumer.close()

Delivery is at-least-once from Kafka (offsets are committed only after the
caller has handled an event, i.e. when it asks for the next one) and
effectively-once to the caller: every handed-over (event id, version) is
recorded in a persistent seen-set, so a re-delivery after a crash or rebalance
is dropped. A correction (same event id, higher version) is handed over.
Corroborations and identity merges arrive on their own topics and are applied
to the consumer's state; ``stream()`` yields them too, for callers that care.

What the agency's Kafka principal needs (``infra/production/kafka/acls.sh``): Read on its
families' event topics, the identity, corroborations and batches topics, and on its
consumer group, which starts with its user name and a dot (``mvd.border``); no write, no
transactional id (it reads ``read_committed``).

An agency that runs one consumer per group should name it (``instance="mvd.border.1"``,
Kafka static membership): restarted after a crash, it resumes at once instead of
waiting 45 s for the dead one's session to end.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from hub.config import Settings
from hub.deliver.consumer.envelope import read_envelope
from hub.deliver.consumer.model import Corroboration, HubEvent, IdentityMerge, Rejected, StreamItem
from hub.deliver.consumer.proofs import EventVerifier, load_trust
from hub.deliver.consumer.state import ConsumerState
from hub.errors import BrokerError, ConfigError, DocumentError, TrustError
from hub.kafka.errors import TOPIC_AUTHORIZATION_FAILED
from hub.kafka.message import Message, Partition
from hub.kafka.readers import GroupReader
from hub.kafka.topics import Topics, refused_topics, topics_for
from hub.model.families import EVENT_FAMILIES
from hub.model.notices import verify_notice
from security.trust import TrustStore

log = logging.getLogger(__name__)

# Offsets are committed after this many handled records or this many seconds,
# whichever first: one commit per record would cost a broker round trip each,
# and the seen-set makes the few re-deliveries after a crash harmless.
COMMIT_EVERY = 500
COMMIT_INTERVAL_S = 2.0
POLL_TIMEOUT_S = 0.5
MAX_POLL_RECORDS = 500
# Waiting for partitions is not idleness: after a crash the dead member holds its
# partitions until its session times out (45 s, kafka-python's default) and the group
# rebalances, unless the restarted consumer has the dead one's ``instance`` name.
# A consumer with an idle timeout waits this long for an assignment at most.
JOIN_TIMEOUT_S = 120.0
# A member behind its end offsets that gets no record for this long is stalled (a loaded
# broker answers a fetch within seconds): fail rather than hang a batch step.
STALL_TIMEOUT_S = 60.0


def family_of_topic(topics: Topics, topic: str) -> str:
    for family in EVENT_FAMILIES:
        if topics.events(family) == topic:
            return family
    return ""


def _header(msg: Message, name: str) -> str:
    value = msg.header(name)
    return value.decode("utf-8", "replace") if value is not None else ""


def decode_event(verifier: EventVerifier, topics: Topics, msg: Message) -> HubEvent | Rejected:
    """Verify one event-topic record; return the typed event or why it was rejected."""
    raw: bytes = msg.value or b""
    header_id = _header(msg, "event-id")
    where = {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset}
    try:
        element, how = verifier.verify(raw)
    except (TrustError, DocumentError) as exc:
        return Rejected(str(exc), exc.rule, raw, header_id, **where)
    env = read_envelope(element, family=family_of_topic(topics, msg.topic))
    if not env.event_id or env.body is None or env.version < 1:
        return Rejected(
            "verified event lacks an event id or a body",
            "event.incomplete",
            raw,
            header_id,
            **where,
        )
    if header_id and header_id != env.event_id:
        return Rejected(
            f"header event-id {header_id} differs from the signed {env.event_id}",
            "event.header-mismatch",
            raw,
            header_id,
            **where,
        )
    return HubEvent(
        event_id=env.event_id,
        type=env.type or _header(msg, "type"),
        family=env.family,
        version=env.version,
        person_id=env.person_id,
        occurred_at=env.occurred_at,
        source=env.source,
        body=env.body,
        element=element,
        raw_xml=raw,
        verified=how,
        reported_person_id=env.person_id,
        citizenships=env.citizenships,
        **where,
    )


_CORR = "{urn:kz:mhub:corroboration:1}"


def decode_corroboration(verifier: EventVerifier, msg: Message) -> Corroboration | Rejected:
    """A corroboration proven by its signed document; the JSON must agree with it."""
    where = {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset}
    try:
        d = json.loads(msg.value)
        signed = str(d.get("signed") or "").encode()
    except (ValueError, AttributeError):
        return Rejected("corroboration is not JSON", "corroboration.malformed", msg.value, **where)
    if not signed:
        return Rejected("corroboration carries no signed document", "corroboration.unsigned",
                        msg.value, str(d.get("event_id", "")), **where)
    try:
        element, _how = verifier.verify(signed)
    except (TrustError, DocumentError) as exc:
        return Rejected(str(exc), exc.rule, msg.value, str(d.get("event_id", "")), **where)
    got = {name: (element.findtext(_CORR + name) or "").strip()
           for name in ("EventId", "Source", "SourceRecordId", "SourceVersion", "RawDigest",
                        "PersonId")}
    claimed = {"EventId": d.get("event_id"), "Source": d.get("source"),
               "SourceRecordId": d.get("record_id"), "SourceVersion": d.get("version"),
               "RawDigest": d.get("raw_digest"), "PersonId": d.get("person_id")}
    if element.tag != _CORR + "Corroboration" or any(
        str(claimed[k] if claimed[k] is not None else "") != v for k, v in got.items()
    ):
        return Rejected("corroboration JSON differs from its signed document",
                        "corroboration.mismatch", msg.value, got["EventId"], **where)
    return Corroboration(
        event_id=got["EventId"], source=got["Source"], record_id=got["SourceRecordId"],
        version=int(got["SourceVersion"] or 1), raw_digest=got["RawDigest"],
        person_id=got["PersonId"],
    )


def decode_identity(trust: TrustStore, msg: Message) -> IdentityMerge | Rejected | None:
    """A merge from the identity topic, from its signed notice only; links and reviews
    give None; an unsigned or altered notice is rejected, never applied."""
    where = {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset}
    raw: bytes = msg.value or b""
    try:
        d = verify_notice(raw, trust).body
    except (TrustError, DocumentError) as exc:
        return Rejected(str(exc), exc.rule, raw, **where)
    kind = str(d.get("kind") or d.get("type") or "")
    if kind != "merge":
        return None
    absorbed = d.get("absorbed") or d.get("merged") or []
    if isinstance(absorbed, str):
        absorbed = [absorbed]
    return IdentityMerge(
        str(d["survivor"]), tuple(str(a) for a in absorbed), str(d.get("reason", ""))
    )


def require_readable(settings: Settings, topics: list[str]) -> None:
    """Fail at start when the principal may not read one of ``topics``.

    A consumer leaves a refused topic out with a log line and reads the rest: an agency
    without Read on the identity topic would never apply a merge, and would not know.
    (A topic that does not exist yet is not an error: it is read once made.)
    """
    refused = refused_topics(settings, topics)
    if refused:
        raise BrokerError(f"this Kafka principal may not read {', '.join(refused)}: the consumer "
                          "needs Read on its families, identity, corroborations and batches "
                          "(infra/production/kafka/acls.sh)", topic=refused[0],
                          code=TOPIC_AUTHORIZATION_FAILED, name="TOPIC_AUTHORIZATION_FAILED")


class EventConsumer:
    """Verified, deduplicated hub events of the families an agency may read."""

    def __init__(
        self,
        families: Iterable[str],
        settings: Settings,
        trust: TrustStore | Path,
        state_dir: Path,
        *,
        group: str,
        idle_timeout_s: float | None = None,
        until_end: bool = False,
        instance: str | None = None,
    ) -> None:
        """``until_end``: stop once every assigned partition is read to its end (a batch
        step, such as the statistics consumer: silence is not the end on a loaded broker, the
        end offsets are); ``idle_timeout_s``: stop after that long without a record (a
        tail). ``instance``: a name this consumer keeps across restarts (Kafka static
        membership): restarted after a crash it takes its partitions back at once instead
        of waiting out the dead one's session; of two running at once with one name, the
        older is fenced. For a group of one consumer; leave it out when several share the
        work."""
        self.families = tuple(families)
        unknown = [f for f in self.families if f not in EVENT_FAMILIES]
        if unknown or not self.families:
            raise ConfigError(f"families must be a non-empty subset of {EVENT_FAMILIES}: {unknown}")
        self.settings = settings
        self.topics = topics_for(settings)
        topics = [*(self.topics.events(f) for f in self.families), self.topics.corroborations,
                  self.topics.identity]
        require_readable(settings, [*topics, self.topics.batches])  # before opening anything
        self.idle_timeout_s = idle_timeout_s
        self.until_end = until_end
        self.state = ConsumerState(Path(state_dir) / f"{group}.sqlite")
        self.verifier = EventVerifier(load_trust(trust), settings, self.state, self.topics.batches)
        self.counts: Counter[str] = Counter()
        self._consumer = GroupReader(
            settings, topics, group_id=group, instance=instance, max_poll_records=MAX_POLL_RECORDS
        )
        self._pending: dict[Partition, int] = {}
        self._since_commit = 0
        self._last_commit = time.monotonic()

    # --- iteration ---------------------------------------------------------------------

    def events(self) -> Iterator[HubEvent]:
        for item in self.stream():
            if isinstance(item, HubEvent):
                yield item

    def stream(self) -> Iterator[StreamItem]:
        """Every item in arrival order; each is considered handled when the next is asked for."""
        idle_since = started = time.monotonic()
        while True:
            polled = self._consumer.poll(POLL_TIMEOUT_S)
            if not polled:
                self._maybe_commit(force=self._since_commit > 0)
                if not self._consumer.assigned and time.monotonic() - started < JOIN_TIMEOUT_S:
                    idle_since = time.monotonic()  # still joining the group: not idle yet
                elif self.until_end and self._consumer.assigned:
                    if self._consumer.at_end():
                        self.commit()
                        return
                    if time.monotonic() - idle_since > STALL_TIMEOUT_S:
                        raise BrokerError(f"no record for {STALL_TIMEOUT_S:.0f} s before the end "
                                          f"offsets of {', '.join(self.families)}")
                    continue  # behind its end: waiting for a fetch is not idleness
                if self.idle_timeout_s is not None and (
                    time.monotonic() - idle_since >= self.idle_timeout_s
                ):
                    return
                continue
            idle_since = time.monotonic()
            for msg in polled:
                item = self._decode(msg)
                if item is not None:
                    yield item
                    self._handled(item)
                self._pending[(msg.topic, msg.partition)] = msg.offset + 1
                self._since_commit += 1
                self._maybe_commit()

    def _decode(self, msg: Message) -> StreamItem | None:
        if msg.topic == self.topics.corroborations:
            corr = decode_corroboration(self.verifier, msg)
            if isinstance(corr, Rejected):
                self.counts["rejected"] += 1
                log.warning("rejected corroboration at %s/%d@%d: %s",
                            corr.topic, corr.partition, corr.offset, corr.reason)
                return corr
            self.state.add_corroboration(corr)
            self.counts["corroborations"] += 1
            return corr
        if msg.topic == self.topics.identity:
            merge = decode_identity(self.verifier.trust, msg)
            if isinstance(merge, Rejected):
                self.counts["rejected"] += 1
                log.warning("rejected identity notice at %s/%d@%d: %s",
                            merge.topic, merge.partition, merge.offset, merge.reason)
            elif merge is not None:
                self.state.apply_merge(merge)
                self.counts["merges"] += 1
            return merge
        item = decode_event(self.verifier, self.topics, msg)
        if isinstance(item, Rejected):
            self.counts["rejected"] += 1
            log.warning(
                "rejected %s at %s/%d@%d: %s",
                item.event_id or "?",
                item.topic,
                item.partition,
                item.offset,
                item.reason,
            )
            return item
        if self.state.is_duplicate(item.event_id, item.version):
            self.counts["duplicates"] += 1
            return None
        self.counts["events"] += 1
        return _resolved(item, self.state)

    def _handled(self, item: StreamItem) -> None:
        if isinstance(item, HubEvent):
            self.state.mark_seen(item.event_id, item.version)

    # --- offsets -----------------------------------------------------------------------

    def _maybe_commit(self, force: bool = False) -> None:
        due = (
            self._since_commit >= COMMIT_EVERY
            or time.monotonic() - self._last_commit >= COMMIT_INTERVAL_S
        )
        if self._pending and (force or due):
            self.commit()

    def commit(self) -> None:
        """Commit the offsets of everything handed over and handled so far."""
        if not self._pending:
            return
        if not self._consumer.commit(self._pending):
            # rebalanced: the seen-set absorbs the re-delivery
            log.warning("offset commit failed (the group rebalanced): records will be "
                        "re-delivered and dropped")
        self._pending.clear()
        self._since_commit = 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self._consumer.close()
            self.verifier.close()
            self.state.close()

    def __enter__(self) -> EventConsumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _resolved(event: HubEvent, state: ConsumerState) -> HubEvent:
    """The event with its survivor person id and the corroborations known so far."""
    from dataclasses import replace

    return replace(
        event,
        person_id=state.resolve_person(event.person_id),
        corroborations=state.corroborations(event.event_id),
    )
