"""Small, realistic hub events rendered by the hub's own renderer (``hub.publish.render``).

Used by the consumer and gateway tests to put real event XML on real topics.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from lxml import etree

from hub.model.candidate import Candidate
from hub.publish.render import render_event
from security.safe_xml import parse_untrusted

INTERIOR_NS = "urn:kz:mhub:interior:1"
COMMON_NS = "urn:kz:mhub:common:1"
# The UUIDv5 namespace under which test event keys become event ids.
FIRST_CROSSING = dt.datetime(2026, 3, 1, 0, 15, tzinfo=dt.UTC)
EVENT_ID_NS = uuid.UUID("6f1d0c1e-7a51-4c1b-9a55-0e6d2b8f4a10")


@dataclass(frozen=True)
class Person:
    person_id: str
    surname: str
    given: str
    birth: str
    citizenship: str
    document: str


PEOPLE = [
    Person("P-KGZ-0001", "ASANOV", "BAKYT", "1990-05-14", "KGZ", "AC1234567"),
    Person("P-KGZ-0002", "TOKTOGULOVA", "AIZADA", "1995-11-02", "KGZ", "AC7654321"),
    Person("P-UZB-0001", "KARIMOV", "JAHONGIR", "1988-01-20", "UZB", "FA0011223"),
    Person("P-TJK-0001", "RAHMONOV", "FIRDAVS", "1992-07-30", "TJK", "400123456"),
    Person("P-UZB-0002", "YUSUPOVA", "MALIKA", "1999-09-09", "UZB", "FA7788990"),
]


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        el.text = text
    return el


def _record(p: Person, n: int, version: int, direction: str, crossed: str) -> str:
    rec = etree.Element(
        f"{{{INTERIOR_NS}}}BorderCrossing",
        nsmap={None: INTERIOR_NS, "c": COMMON_NS},
        recordId=f"MVD-BC-{n:06d}",
        version=str(version),
        updatedAt="2026-03-29T07:59:00Z",
    )
    c = f"{{{COMMON_NS}}}"
    person = _sub(rec, c + "Person")
    _sub(person, c + "Document", type="P", issuingState=p.citizenship, number=p.document)
    name = _sub(person, c + "Name", script="Latn")
    _sub(name, c + "Surname", p.surname)
    _sub(name, c + "GivenNames", p.given)
    _sub(person, c + "BirthDate", p.birth)
    _sub(person, c + "Sex", "M")
    _sub(person, c + "Citizenship", p.citizenship)
    _sub(rec, f"{{{INTERIOR_NS}}}Direction", direction)
    _sub(rec, f"{{{INTERIOR_NS}}}BorderPoint", "ALA-AIR")
    _sub(rec, f"{{{INTERIOR_NS}}}CrossedAt", crossed)
    _sub(rec, f"{{{INTERIOR_NS}}}TransportMode", "AIR")
    return etree.tostring(rec, method="c14n", exclusive=True).decode()


def border_event(
    p: Person, n: int, *, version: int = 1, direction: str = "ENTRY"
) -> etree._Element:
    """The hub event of person ``p``'s n-th border crossing (version > 1: a correction)."""
    crossed = (FIRST_CROSSING + dt.timedelta(minutes=37 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    key = f"border.crossing|{p.person_id}|ALA-AIR|{direction}|{crossed}"
    record_xml = _record(p, n, version, direction, crossed)
    digest = "sha256:" + hashlib.sha256(record_xml.encode()).hexdigest()
    cand = Candidate(
        source="interior.border",
        record_id=f"MVD-BC-{n:06d}",
        version=version,
        record_type="BorderCrossing",
        family="border",
        fact="border.crossing",
        event_key=key,
        event_id=str(uuid.uuid5(EVENT_ID_NS, key)),
        partition_key=p.person_id,
        person_id=p.person_id,
        occurred_at=crossed,
        updated_at="2026-03-29T07:59:00Z",
        raw_digest=digest,
        content_digest=digest,
        record_xml=record_xml,
        person={
            "identifiers": [
                {
                    "scheme": "DOCUMENT",
                    "value": p.document,
                    "issuing_state": p.citizenship,
                    "document_type": "P",
                }
            ],
            "names": [
                {"form": "LATIN", "script": "Latn", "surname": p.surname, "given_names": p.given}
            ],
            "birth_date": p.birth,
            "sex": "M",
            "citizenship": [p.citizenship],
        },
    )
    return parse_untrusted(render_event(cand, recorded_at="2026-03-29T08:00:00Z"))


def event_id(ev: etree._Element) -> str:
    return ev.findtext("{urn:kz:mhub:event:1}EventId")


def headers(ev: etree._Element, source: str = "interior.border") -> list[tuple[str, bytes]]:
    return [
        ("event-id", event_id(ev).encode()),
        ("type", ev.findtext("{urn:kz:mhub:event:1}EventType").encode()),
        ("schema-version", b"1"),
        ("source", source.encode()),
    ]


def tamper(signed: bytes) -> bytes:
    """The same signed event with the border point changed after signing."""
    out = signed.replace(b"ALA-AIR</BorderPoint>", b"NUR-AIR</BorderPoint>", 1)
    assert out != signed
    return out


def corroboration(
    event_id: str, person_id: str, source: str = "partner.kgz", *, signer: Any = None,
    tamper: dict[str, Any] | None = None,
) -> bytes:
    """The corroborations topic's JSON; with ``signer``, its signed document under ``signed``
    (enveloped XMLDSig here; stage 2 uses a batch proof, which verifies the same way).
    ``tamper`` changes JSON fields after signing."""
    from hub.publish.corroboration import render_corroboration

    value: dict[str, Any] = {
        "kind": "corroboration", "event_id": event_id, "event_key": "", "type": "border-crossing",
        "source": source, "record_id": "KG-N-77", "version": 1, "raw_digest": "",
        "first_source": "interior", "person_id": person_id,
    }
    if signer is not None:
        signed = signer.sign(etree.fromstring(render_corroboration(value)))
        value["signed"] = signed.decode() if isinstance(signed, bytes) else signed
    value.update(tamper or {})
    return json.dumps(value).encode()


def merge(survivor: str, absorbed: str, *, seal: Any = None) -> bytes:
    """The identity topic's merge notice; sealed (signed, as stage 1 writes it) with ``seal``,
    else the bare JSON an unsigned writer would send."""
    body = {
        "kind": "merge",
        "survivor": survivor,
        "absorbed": [absorbed],
        "reason": "same document number",
    }
    return seal("identity", body) if seal is not None else json.dumps(body).encode()
