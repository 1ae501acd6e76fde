"""The statistics bureau's feed: person-level facts, every identity a keyed pseudonym.

    python -m hub.deliver.bureau_feed [--batch N]   # drain what is there, then stop

Consume-transform-produce, exactly once, through the Kafka seam's
:class:`~hub.kafka.exactly_once.GroupRelay`: events are read with ``read_committed``
from the person-level event topics, each becomes one JSON fact on
``<prefix>statistics-feed``, and the facts of one poll and the consumed offsets are
committed in one Kafka transaction (transactional id and group: the feed topic's name,
per hub), as stage 2 does. A run drains what is there (every partition read to its end),
then stops; killed, the next run fences the dead one's open transaction and resumes
from the committed offsets at once (static membership).

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

from hub.config import Settings, load_settings
from hub.kafka.clients import sole_member
from hub.kafka.exactly_once import GroupRelay
from hub.kafka.message import Message
from hub.kafka.topics import ensure_topics, topics_for
from hub.kafka.transactions import Transaction
from hub.model.elements import local_name
from hub.model.families import PERSON_FAMILIES
from security.pseudonym import KEY_FILE, Pseudonymizer
from security.safe_xml import parse_untrusted

PURPOSE = "statistics.flows"
FEED_FAMILIES = PERSON_FAMILIES
# Facts per transaction: one poll's worth; a transaction per record would cost a round trip each.
MAX_POLL_RECORDS = 1000
POLL_TIMEOUT_S = 0.5
# A batch step, like the statistics consumer: it stops once every partition is read to its
# end, or after this long without a new event though some partition is not (another
# writer's transaction still open on it): the next run reads the rest.
IDLE_TIMEOUT_S = 3.0
# Waiting for the group to hand out partitions is not idleness (a new group waits out the
# broker's initial rebalance delay), but no event topic at all must not hold a run forever.
JOIN_TIMEOUT_S = 120.0
#: the relay's role: its commit boundaries are bureau-feed.before-commit / .after-commit
ROLE = "bureau-feed"
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
            name = local_name(child.tag)
            if name in ALLOWED_FIELDS and len(child) == 0 and child.text:
                fields[name] = child.text.strip()
    return {
        "pseudonym": pseudo.pseudonym(PURPOSE, person_id),
        "event_id": root.findtext(f"{_EV}EventId"),
        "version": int(root.findtext(f"{_EV}EventVersion") or 1),
        "type": root.findtext(f"{_EV}EventType"),
        "family": family,
        "record": local_name(body.tag) if body is not None else "",
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
    topics = topics_for(settings)
    out_topic = feed_topic(settings)
    # A no-op where the operator made the topics (`mhub kafka topics`); a local hub's first run.
    ensure_topics([s for s in topics.specs() if s.name == out_topic], settings)
    family_of = {topics.events(f): f for f in FEED_FAMILIES}
    pseudo = pseudonymizer(settings)
    counts: Counter[str] = Counter()
    # One feeder (one transactional id): its group's sole static member.
    with GroupRelay.open(
        settings, list(family_of), group_id=out_topic, transactional_id=out_topic, role=ROLE,
        instance=sole_member(out_topic), probe_topic=out_topic,
    ) as relay:
        idle_since = started = time.monotonic()
        while not relay.drained and time.monotonic() - idle_since < idle_timeout_s:
            batch = relay.poll(max_poll_records, POLL_TIMEOUT_S)
            if not batch:
                if not relay.assigned and time.monotonic() - started < JOIN_TIMEOUT_S:
                    idle_since = time.monotonic()  # still joining the group: not idle yet
                continue
            idle_since = time.monotonic()
            with relay.transaction(batch) as txn:
                done = _feed(txn, batch, family_of, pseudo, out_topic)
            counts.update(done)  # committed: the facts and the offsets after them
    return counts


def _feed(
    txn: Transaction,
    batch: list[Message],
    family_of: dict[str, str],
    pseudo: Pseudonymizer,
    out_topic: str,
) -> Counter[str]:
    """The facts of one poll, sent in its transaction; what was sent and skipped."""
    done: Counter[str] = Counter()
    for msg in batch:
        fact = transform(msg.value or b"", family_of[msg.topic], pseudo)
        if fact is None:
            done["skipped"] += 1
            continue
        txn.send(
            out_topic,
            json.dumps(fact, ensure_ascii=False).encode(),
            key=fact["pseudonym"].encode(),
        )
        done["facts"] += 1
    return done


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
