"""The canonical hub event (namespace ``urn:kz:mhub:event:1``), rendered as bytes.

Element order follows the event XSD: EventId, EventType, EventVersion,
OccurredAt, RecordedAt, Person?, Body (the agency record, its partner
signature removed), Provenance; the batch signer's BatchProof is spliced in
before the end tag afterwards.

The event is rendered straight into **Exclusive XML Canonicalization 1.0**
(no XML declaration, attributes sorted, empty elements as start and end tag,
C14N escaping), so the bytes *are* their own canonical form: the Merkle leaf
is ``sha256(bytes)`` with no parse and no C14N pass (security.batch defines
the leaf over exactly that form, so verifiers recompute it from the parsed
event). Agency values only ever enter as escaped text or attribute values,
and the agency record arrives from stage 1 already in exclusive C14N (its
namespace declarations are its own, so it renders identically inside Body).
tests/unit/publish/test_render.py checks the bytes against lxml's C14N.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from hub.model.candidate import Candidate
from hub.model.elements import EVENT_NS

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;"}
)


_NEEDS_ESCAPE = re.compile(r"[&<>\r\"\t\n]")


def _escape(value: str) -> str:
    """C14N text escaping; most values need none, and a scan is cheaper than a translate."""
    return value.translate(_TEXT_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def _t(name: str, value: str) -> str:
    return f"<{name}>{_escape(value)}</{name}>"


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def render_event(cand: Candidate, recorded_at: str | None = None) -> bytes:
    """The event of ``cand`` in exclusive C14N (its own canonical form), without proof."""
    values = (
        cand.event_id, cand.fact, str(cand.version), cand.occurred_at or cand.updated_at,
        recorded_at or utc_now(), cand.source, cand.record_id, cand.raw_digest,
    )
    # One scan of all the values (the escapes are single characters): usually none needs any.
    if _NEEDS_ESCAPE.search("".join(values)):
        values = tuple(map(_escape, values))
    eid, fact, version, occurred, recorded, source, record_id, raw_digest = values
    person = _person(cand.person_id, cand.person) if cand.person_id else ""
    return (
        f'<Event xmlns="{EVENT_NS}"><EventId>{eid}</EventId><EventType>{fact}</EventType>'
        f"<EventVersion>{version}</EventVersion><OccurredAt>{occurred}</OccurredAt>"
        f"<RecordedAt>{recorded}</RecordedAt>{person}<Body>{cand.record_xml}</Body>"
        f"<Provenance><Source>{source}</Source><SourceRecordId>{record_id}</SourceRecordId>"
        f"<SourceVersion>{version}</SourceVersion><RawDigest>{raw_digest}</RawDigest>"
        "</Provenance></Event>"
    ).encode()


def event_leaf(rendered: bytes) -> bytes:
    """The Merkle leaf input of a rendered event (see :func:`security.batch.event_digest`)."""
    return hashlib.sha256(rendered).digest()


def _attr(name: str, value: str) -> str:
    """One unqualified attribute in C14N form, or nothing for an empty value."""
    if not value:
        return ""
    return f' {name}="{value.translate(_ATTR_ESCAPES) if _NEEDS_ESCAPE.search(value) else value}"'


def _person(person_id: str, person: dict[str, Any]) -> str:
    # Attributes are written in C14N order (unqualified, sorted by name):
    # documentType < issuingState < scheme, and form < script.
    out = ["<Person>", _t("PersonId", person_id)]
    for ident in person.get("identifiers", []):
        out.append(
            f"<Identifier{_attr('documentType', ident.get('document_type', ''))}"
            f"{_attr('issuingState', ident.get('issuing_state', ''))}"
            f"{_attr('scheme', ident['scheme'])}>{_escape(ident['value'])}</Identifier>"
        )
    for name in person.get("names", []):
        patronymic = name.get("patronymic")
        out.append(
            f"<Name{_attr('form', name['form'])}{_attr('script', name['script'])}>"
            f"<Surname>{_escape(name['surname'])}</Surname>"
            f"<GivenNames>{_escape(name['given_names'])}</GivenNames>"
            + (f"<Patronymic>{_escape(patronymic)}</Patronymic>" if patronymic else "")
            + "</Name>"
        )
    if person.get("birth_date"):
        out.append(_t("BirthDate", person["birth_date"]))
    if person.get("sex"):
        out.append(_t("Sex", person["sex"]))
    for c in person.get("citizenship", []):
        out.append(_t("Citizenship", c))
    out.append("</Person>")
    return "".join(out)
