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

from hub.model.elements import DSIG_NS, EVENT_NS, child_text

PROOF_NS = "urn:kz:mhub:proof:1"
EVENT_TAG = f"{{{EVENT_NS}}}Event"
PROOF_TAG = f"{{{PROOF_NS}}}BatchProof"
SIGNATURE_TAG = f"{{{DSIG_NS}}}Signature"
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
    version = child_text(root, _E + "EventVersion")
    citizenships = (
        tuple((c.text or "").strip() for c in person.findall(_E + "Citizenship"))
        if person is not None
        else ()
    )
    return Envelope(
        event_id=child_text(root, _E + "EventId"),
        type=child_text(root, _E + "EventType"),
        family=family,
        version=int(version) if version.isdigit() else 0,
        occurred_at=child_text(root, _E + "OccurredAt"),
        recorded_at=child_text(root, _E + "RecordedAt"),
        person_id=child_text(person, _E + "PersonId"),
        citizenships=citizenships,
        source=child_text(root.find(_E + "Provenance"), _E + "Source"),
        body=body,
    )
