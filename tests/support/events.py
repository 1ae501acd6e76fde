"""Small, realistic hub events of the agreed envelope shape, signed per event by the hub.

Used by the consumer and gateway tests to put real event XML on real topics.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from lxml import etree

EVENT_NS = "urn:kz:mhub:event:1"
INTERIOR_NS = "urn:kz:mhub:interior:1"
# The UUIDv5 namespace under which event keys become event ids (any fixed UUID works here).
EVENT_ID_NS = uuid.UUID("6f1d0c1e-7a51-4c1b-9a55-0e6d2b8f4a10")


@dataclass(frozen=True)
class Person:
    person_id: str
    surname: str
    given: str
    birth: str
    citizenship: str
    document: str
    iin: str = ""


PEOPLE = [
    Person("P-KGZ-0001", "ASANOV", "BAKYT", "1990-05-14", "KGZ", "AC1234567"),
    Person("P-KGZ-0002", "TOKTOGULOVA", "AIZADA", "1995-11-02", "KGZ", "AC7654321"),
    Person("P-UZB-0001", "KARIMOV", "JAHONGIR", "1988-01-20", "UZB", "FA0011223"),
    Person("P-TJK-0001", "RAHMONOV", "FIRDAVS", "1992-07-30", "TJK", "400123456"),
    Person("P-KAZ-0001", "ZHUMABAYEV", "ERLAN", "1985-03-03", "KAZ", "N12345678", "850303300123"),
]


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        el.text = text
    return el


def _person(parent: etree._Element, ns: str, p: Person, **attrs: str) -> None:
    el = _sub(parent, f"{{{ns}}}Person", **attrs)
    if p.iin:
        _sub(el, f"{{{ns}}}IIN", p.iin)
    _sub(el, f"{{{ns}}}Document", type="P", issuingState=p.citizenship, number=p.document)
    name = _sub(el, f"{{{ns}}}Name", script="Latn")
    _sub(name, f"{{{ns}}}Surname", p.surname)
    _sub(name, f"{{{ns}}}GivenNames", p.given)
    _sub(el, f"{{{ns}}}BirthDate", p.birth)
    _sub(el, f"{{{ns}}}Sex", "M")
    _sub(el, f"{{{ns}}}Citizenship", p.citizenship)


def event_id_for(key: str) -> str:
    return str(uuid.uuid5(EVENT_ID_NS, key))


def border_event(
    p: Person, n: int, *, version: int = 1, direction: str = "ENTRY", family: str = "border"
) -> etree._Element:
    """A border crossing (or, with family='enforcement', a deportation) of person ``p``."""
    record = "BorderCrossing" if family == "border" else "Deportation"
    fact = "border-crossing" if family == "border" else "deportation"
    crossed = f"2026-03-{1 + n % 28:02d}T{n % 24:02d}:15:00Z"
    key = f"{fact}|{p.person_id}|KZ-ALA-01|{direction}|{crossed}"
    ev = etree.Element(f"{{{EVENT_NS}}}Event", nsmap={None: EVENT_NS})
    ev.set("eventId", event_id_for(key))
    ev.set("type", fact)
    ev.set("family", family)
    ev.set("version", str(version))
    _sub(ev, f"{{{EVENT_NS}}}OccurredAt", crossed)
    _sub(ev, f"{{{EVENT_NS}}}RecordedAt", "2026-03-29T08:00:00Z")
    _person(ev, EVENT_NS, p, personId=p.person_id)
    body = _sub(ev, f"{{{EVENT_NS}}}Body")
    rec = etree.SubElement(
        body,
        f"{{{INTERIOR_NS}}}{record}",
        nsmap={None: INTERIOR_NS},
        recordId=f"MVD-{n:06d}",
        version=str(version),
        updatedAt="2026-03-29T07:59:00Z",
    )
    _person(rec, INTERIOR_NS, p)
    _sub(rec, f"{{{INTERIOR_NS}}}Direction", direction)
    _sub(rec, f"{{{INTERIOR_NS}}}BorderPoint", "KZ-ALA-01")
    _sub(rec, f"{{{INTERIOR_NS}}}CrossedAt", crossed)
    _sub(rec, f"{{{INTERIOR_NS}}}TransportMode", "AIR")
    prov = _sub(ev, f"{{{EVENT_NS}}}Provenance")
    _sub(prov, f"{{{EVENT_NS}}}Source", "mvd-border")
    _sub(prov, f"{{{EVENT_NS}}}RecordId", f"MVD-{n:06d}")
    return ev


def headers(ev: etree._Element, source: str = "mvd-border") -> list[tuple[str, bytes]]:
    return [
        ("event-id", ev.get("eventId").encode()),
        ("type", ev.get("type").encode()),
        ("schema-version", b"1"),
        ("source", source.encode()),
    ]


def tamper(signed: bytes) -> bytes:
    """The same signed event with the border point changed after signing."""
    out = signed.replace(b"KZ-ALA-01</BorderPoint>", b"KZ-AST-09</BorderPoint>", 1)
    assert out != signed
    return out


def corroboration(event_id: str, person_id: str, source: str = "kgz-partner") -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "source": source,
            "record_id": "KG-N-77",
            "version": 1,
            "person_id": person_id,
        }
    ).encode()


def merge(survivor: str, absorbed: str) -> bytes:
    return json.dumps(
        {
            "kind": "merge",
            "survivor": survivor,
            "absorbed": [absorbed],
            "reason": "same document number",
        }
    ).encode()
