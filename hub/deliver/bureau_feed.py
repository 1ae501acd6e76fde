"""The statistics bureau's feed: person-level facts, every identity a keyed pseudonym.

    python -m hub.deliver.bureau_feed [--batch N]   # drain what is there, then stop

Consume-transform-produce, exactly once: events are read with
``read_committed`` from the person-level event topics, each becomes one JSON
fact on ``<prefix>statistics-feed``, and the facts and the consumed offsets are
committed in one Kafka transaction (transactional id per hub), as stage 2 does.

What leaves: the canonical person id replaced by
``Pseudonymizer.pseudonym("statistics.flows", person_id)`` (HMAC-SHA256 with the
hub's key, ``security/pseudonym.py``), so the bureau can count persons and
follow one person's moves across agencies (identity resolution happens before:
the same person has one person id whatever agency reported them) without
learning who they are; the event's type, id, version and day; citizenship and
sex; and only allow-listed statistical fields of the record (region codes,
kinds, statuses, sectors, countries, fact dates). Never an IIN, a document,
permit or case number, a name, a birth date or an address.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from hub.config import Settings, load_settings
from hub.kafka.clients import consumer, producer, sole_member
from hub.kafka.faults import FaultHook
from hub.kafka.topics import ensure_topics, topics_for
from hub.model.families import PERSON_FAMILIES
from security.pseudonym import KEY_FILE, Pseudonymizer
from security.safe_xml import parse_untrusted

PURPOSE = "statistics.flows"
FEED_FAMILIES = PERSON_FAMILIES
# Facts per transaction: one poll's worth; a transaction per record would cost a round trip each.
MAX_POLL_RECORDS = 1000
POLL_TIMEOUT_MS = 500
# Stop after this long without new events (a batch step, like the statistics consumer).
IDLE_TIMEOUT_S = 3.0
#: record fields that may leave (statistical, never identifying)
ALLOWED_FIELDS = frozenset(
    {
        "Kato",
        "FromKato",
        "ToKato",
        "Kind",
        "Status",
        "Action",
        "Sector",
        "Category",
        "Direction",
        "BorderPoint",
        "TransportMode",
        "Outcome",
        "Reason",
        "CountryOfOrigin",
        "DestinationCountry",
        "Year",
        "QuotaYear",
        "ProgrammeYear",
        "DecisionDate",
        "ValidFrom",
        "ValidTo",
        "LodgedOn",
        "ArrivedOn",
        "ExecutedAt",
        "CrossedAt",
        "From",
        "To",
        "FamilyMembers",
        "Penalty",
        "PreviousCitizenship",
        "PartnerState",
    }
)
_EV = "{urn:kz:mhub:event:1}"
#: JSON Schema of one feed message's value (package data; documented in docs/statistics-feed.md)
FEED_SCHEMA = "feed/statistics-feed-v1.schema.json"


def feed_schema() -> dict[str, Any]:
    """The feed's JSON Schema (draft 2020-12), for the bureau and the tests."""
    from importlib.resources import files

    return dict(json.loads(files("schemas").joinpath(FEED_SCHEMA).read_text("utf-8")))


def feed_topic(settings: Settings) -> str:
    return topics_for(settings).statistics_feed


def pseudonymizer(settings: Settings) -> Pseudonymizer:
    return Pseudonymizer.from_file(settings.var_dir / KEY_FILE, create=True)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def transform(raw: bytes, family: str, pseudo: Pseudonymizer) -> dict[str, Any] | None:
    """The pseudonymised fact of one event, or None for events about no person."""
    root = parse_untrusted(raw)
    person = root.find(f"{_EV}Person")
    person_id = person.findtext(f"{_EV}PersonId") if person is not None else None
    if not person_id:
        return None
    body = next(iter(root.find(f"{_EV}Body")), None)
    fields: dict[str, str] = {}
    if body is not None:
        for child in body:
            name = _local(child.tag)
            if name in ALLOWED_FIELDS and len(child) == 0 and child.text:
                fields[name] = child.text.strip()
    return {
        "pseudonym": pseudo.pseudonym(PURPOSE, person_id),
        "event_id": root.findtext(f"{_EV}EventId"),
        "version": int(root.findtext(f"{_EV}EventVersion") or 1),
        "type": root.findtext(f"{_EV}EventType"),
        "family": family,
        "record": _local(body.tag) if body is not None else "",
        "occurred_on": (root.findtext(f"{_EV}OccurredAt") or "")[:10],
        "citizenship": [c.text for c in person.findall(f"{_EV}Citizenship")],
        "sex": person.findtext(f"{_EV}Sex") or "",
        "fields": fields,
    }


def run_bureau_feed(
    settings: Settings | None = None,
    *,
    idle_timeout_s: float = IDLE_TIMEOUT_S,
    max_poll_records: int = MAX_POLL_RECORDS,
) -> Counter[str]:
    """Drain new events into the feed, exactly once; return counts."""
    settings = settings or load_settings()
    faults = FaultHook(settings.crash_at)
    topics = topics_for(settings)
    out_topic = feed_topic(settings)
    # A no-op where the operator made the topics (`mhub kafka topics`); a local hub's first run.
    ensure_topics([s for s in topics.specs() if s.name == out_topic], settings)
    family_of = {topics.events(f): f for f in FEED_FAMILIES}
    pseudo = pseudonymizer(settings)
    # One feeder (one transactional id): its group's sole static member.
    cons = consumer(
        *family_of, settings=settings, group_id=out_topic, group_instance_id=sole_member(out_topic),
        max_poll_records=max_poll_records,
    )
    prod = producer(settings, transactional_id=out_topic)
    counts: Counter[str] = Counter()
    try:
        prod.init_transactions()
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < idle_timeout_s:
            polled = cons.poll(timeout_ms=POLL_TIMEOUT_MS)
            if not polled:
                if not cons.assignment():
                    idle_since = time.monotonic()  # still joining the group: not idle yet
                continue
            idle_since = time.monotonic()
            _commit(prod, cons, polled, family_of, pseudo, out_topic, counts, faults)
    finally:
        prod.close()
        cons.close()
    return counts


def _commit(
    prod: Any,
    cons: Any,
    polled: dict[TopicPartition, list[Any]],
    family_of: dict[str, str],
    pseudo: Pseudonymizer,
    out_topic: str,
    counts: Counter[str],
    faults: FaultHook,
) -> None:
    """One transaction: the facts of one poll and the offsets after them."""
    prod.begin_transaction()
    try:
        offsets = {}
        for tp, msgs in polled.items():
            for msg in msgs:
                fact = transform(msg.value, family_of[msg.topic], pseudo)
                if fact is None:
                    counts["skipped"] += 1
                    continue
                prod.send(
                    out_topic,
                    key=fact["pseudonym"].encode(),
                    value=json.dumps(fact, ensure_ascii=False).encode(),
                )
                counts["facts"] += 1
            offsets[tp] = OffsetAndMetadata(msgs[-1].offset + 1, "", -1)
        prod.send_offsets_to_transaction(offsets, cons.group_metadata())
        faults.reached("bureau-feed.before-commit")  # crash tests: a transaction left open
        prod.commit_transaction()
        faults.reached("bureau-feed.after-commit")
    except BaseException:
        prod.abort_transaction()
        raise


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="drain new events into the bureau's feed")
    parser.add_argument("--batch", type=int, default=MAX_POLL_RECORDS, help="facts per transaction")
    args = parser.parse_args(argv)
    for key, n in sorted(run_bureau_feed(max_poll_records=args.batch).items()):
        print(f"{key}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
