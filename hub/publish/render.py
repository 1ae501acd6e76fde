"""The canonical hub event (namespace ``urn:kz:mhub:event:1``), built from a candidate.

Element order follows ``schemas/event/v1/event.xsd``: EventId, EventType,
EventVersion, OccurredAt, RecordedAt, Person?, Body (the agency record, its
partner signature removed), Provenance, then the BatchProof the batch signer
appends. Built with lxml's element factory: no string templating of agency data.
"""

from __future__ import annotations

import time
from typing import Any

from lxml import etree

from hub.intake.pipeline import Candidate
from security.safe_xml import parse_untrusted

EVENT_NS = "urn:kz:mhub:event:1"
_E = f"{{{EVENT_NS}}}"


def _sub(
    parent: etree._Element, name: str, text: str | None = None, **attrs: str
) -> etree._Element:
    el = etree.SubElement(parent, _E + name, {k: v for k, v in attrs.items() if v})
    if text is not None:
        el.text = text
    return el


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def build_event(
    cand: Candidate, event_version: int = 1, recorded_at: str | None = None
) -> etree._Element:
    root = etree.Element(_E + "Event", nsmap={None: EVENT_NS})
    _sub(root, "EventId", cand.event_id)
    _sub(root, "EventType", cand.fact)
    _sub(root, "EventVersion", str(event_version))
    _sub(root, "OccurredAt", cand.occurred_at or cand.updated_at)
    _sub(root, "RecordedAt", recorded_at or utc_now())
    if cand.person_id:
        _person(root, cand.person_id, cand.person)
    body = _sub(root, "Body")
    body.append(parse_untrusted(cand.record_xml.encode()))
    prov = _sub(root, "Provenance")
    _sub(prov, "Source", cand.source)
    _sub(prov, "SourceRecordId", cand.record_id)
    _sub(prov, "SourceVersion", str(cand.version))
    _sub(prov, "RawDigest", cand.raw_digest)
    return root


def _person(root: etree._Element, person_id: str, person: dict[str, Any]) -> None:
    p = _sub(root, "Person")
    _sub(p, "PersonId", person_id)
    for ident in person.get("identifiers", []):
        _sub(
            p,
            "Identifier",
            ident["value"],
            scheme=ident["scheme"],
            issuingState=ident.get("issuing_state", ""),
            documentType=ident.get("document_type", ""),
        )
    for name in person.get("names", []):
        n = _sub(p, "Name", form=name["form"], script=name["script"])
        _sub(n, "Surname", name["surname"])
        _sub(n, "GivenNames", name["given_names"])
        if name.get("patronymic"):
            _sub(n, "Patronymic", name["patronymic"])
    if person.get("birth_date"):
        _sub(p, "BirthDate", person["birth_date"])
    if person.get("sex"):
        _sub(p, "Sex", person["sex"])
    for c in person.get("citizenship", []):
        _sub(p, "Citizenship", c)
