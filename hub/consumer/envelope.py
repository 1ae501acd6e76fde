"""Reading the hub's canonical event envelope ``<Event xmlns="urn:kz:mhub:event:1">``.

The envelope carries the event id, type, version, occurred/recorded times, a
person block (canonical person id, names, citizenship), the agency record as
its body, provenance, and a proof slot (a batch inclusion proof or an
enveloped ``ds:Signature``). Fields are looked up by local name, as attribute
or child element, so a field moving between the two in a minor schema revision
does not break consumers; the XSD (``schemas/event``) is the contract.
Only call these on an element that has already been verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

EVENT_NS = "urn:kz:mhub:event:1"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"

# Local names of the envelope's parts (first match wins).
PERSON = ("Person",)
BODY = ("Body", "Record")
PROVENANCE = ("Provenance",)
PROOF = ("Proof", "BatchProof", "InclusionProof")


@dataclass(frozen=True, slots=True)
class Envelope:
    event_id: str
    type: str
    family: str
    version: int
    occurred_at: str
    recorded_at: str
    person_id: str
    citizenship: str
    source: str
    body: etree._Element | None
    batch_id: str


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def child(el: etree._Element | None, names: tuple[str, ...]) -> etree._Element | None:
    if el is None:
        return None
    for c in el:
        if local(c) in names:
            return c
    return None


def value(el: etree._Element | None, *names: str) -> str:
    """An attribute or direct child's text named by any of ``names`` (local names)."""
    if el is None:
        return ""
    for name in names:
        for attr, v in el.attrib.items():
            if etree.QName(attr).localname == name:
                return v.strip()
    found = child(el, names)
    return (found.text or "").strip() if found is not None else ""


def proof_element(root: etree._Element) -> etree._Element | None:
    return child(root, PROOF)


def signature_element(root: etree._Element) -> etree._Element | None:
    return root.find(f"{{{DS_NS}}}Signature")


def read_envelope(root: etree._Element, *, family_hint: str = "") -> Envelope:
    """The envelope fields of a verified event element."""
    person = child(root, PERSON)
    body_holder = child(root, BODY)
    body = (
        next((c for c in body_holder if isinstance(c.tag, str)), None)
        if body_holder is not None
        else None
    )
    provenance = child(root, PROVENANCE)
    citizenship = value(person, "Citizenship")
    if not citizenship and person is not None:
        found = next((e for e in person.iter() if local(e) == "Citizenship"), None)
        citizenship = (found.text or "").strip() if found is not None else ""
    proof = proof_element(root)
    version = value(root, "version", "Version") or "1"
    return Envelope(
        event_id=value(root, "eventId", "id", "EventId"),
        type=value(root, "type", "Type", "eventType", "EventType"),
        family=value(root, "family", "Family") or family_hint,
        version=int(version) if version.isdigit() else 1,
        occurred_at=value(root, "occurredAt", "OccurredAt", "Occurred"),
        recorded_at=value(root, "recordedAt", "RecordedAt", "Recorded"),
        person_id=value(person, "personId", "id", "PersonId", "CanonicalId"),
        citizenship=citizenship,
        source=value(provenance, "source", "Source") or value(root, "source", "Source"),
        body=body,
        batch_id=value(proof, "batchId", "BatchId") if proof is not None else "",
    )
