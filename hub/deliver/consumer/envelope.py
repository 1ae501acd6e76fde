"""Reading the hub's canonical event envelope ``<Event xmlns="urn:kz:mhub:event:1">``.

The contract is ``schemas/event/v1/event.xsd``: EventId, EventType,
EventVersion, OccurredAt, RecordedAt, Person? (PersonId, identifiers, names,
citizenships), Body (one agency record), Provenance (Source, ...), then the
batch inclusion proof (``urn:kz:mhub:proof:1`` ``BatchProof``, see
``security.batch``) or an enveloped ``ds:Signature``. The event's family is
the topic's; it is not repeated inside. Only call :func:`read_envelope` on an
element that has already been verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

EVENT_NS = "urn:kz:mhub:event:1"
PROOF_NS = "urn:kz:mhub:proof:1"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
EVENT_TAG = f"{{{EVENT_NS}}}Event"
PROOF_TAG = f"{{{PROOF_NS}}}BatchProof"
SIGNATURE_TAG = f"{{{DS_NS}}}Signature"
PERSON_TAG = f"{{{EVENT_NS}}}Person"
BODY_TAG = f"{{{EVENT_NS}}}Body"
_E = f"{{{EVENT_NS}}}"


@dataclass(frozen=True, slots=True)
class Envelope:
    event_id: str
    type: str
    family: str
    version: int
    occurred_at: str
    recorded_at: str
    person_id: str
    citizenships: tuple[str, ...]
    source: str
    body: etree._Element | None


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(el: etree._Element | None, name: str) -> str:
    if el is None:
        return ""
    found = el.find(_E + name)
    return (found.text or "").strip() if found is not None else ""


def proof_element(root: etree._Element) -> etree._Element | None:
    return root.find(PROOF_TAG)


def proof_batch_id(root: etree._Element) -> str:
    proof = proof_element(root)
    found = proof.find(f"{{{PROOF_NS}}}BatchId") if proof is not None else None
    return (found.text or "").strip() if found is not None else ""


def signature_element(root: etree._Element) -> etree._Element | None:
    return root.find(SIGNATURE_TAG)


def read_envelope(root: etree._Element, *, family: str = "") -> Envelope:
    """The envelope fields of a verified event element."""
    person = root.find(PERSON_TAG)
    holder = root.find(BODY_TAG)
    body = next((c for c in holder if isinstance(c.tag, str)), None) if holder is not None else None
    version = _text(root, "EventVersion")
    citizenships = (
        tuple((c.text or "").strip() for c in person.findall(_E + "Citizenship"))
        if person is not None
        else ()
    )
    return Envelope(
        event_id=_text(root, "EventId"),
        type=_text(root, "EventType"),
        family=family,
        version=int(version) if version.isdigit() else 0,
        occurred_at=_text(root, "OccurredAt"),
        recorded_at=_text(root, "RecordedAt"),
        person_id=_text(person, "PersonId"),
        citizenships=citizenships,
        source=_text(root.find(_E + "Provenance"), "Source"),
        body=body,
    )
