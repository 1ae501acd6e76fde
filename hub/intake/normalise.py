"""The normalise step: typed values, a resolved person, an event identity, a candidate.

For each valid record of a page, in order: decode it to typed values, resolve
its person block to one canonical person id (one registry call for the whole
page), derive the event key and id, and build the intake candidate keyed by
that person (statistics observations and quotas, which have no person, by
their fact key). The record travels on as exclusive C14N, its partner
signature removed: stage 2 embeds those bytes in the event as they are.
Merges and conflicts the registry found travel with the page as identity
notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from hub.intake.decode import decode_valid
from hub.intake.identity.event_key import EventKeyError
from hub.intake.identity.fact_keys import FactKeys
from hub.intake.identity.model import IdentityConflict, IdentityMerge, from_person_block
from hub.intake.identity.registry import PersonRegistry
from hub.intake.identity.translit import icao_latin
from hub.model.candidate import Candidate, content_digest
from hub.model.elements import DSIG_NS
from hub.model.findings import Finding
from hub.model.record_types import event_type_of, family_of
from hub.model.records import PersonData, Quarantined, SourceRecord, ValidRecord

_SIGNATURE = f"{{{DSIG_NS}}}Signature"


@dataclass
class NormalisedPage:
    """A page's outcome in record order, and the identity notices it caused."""

    items: list[Candidate | Quarantined] = field(default_factory=list)
    identity: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Normaliser:
    """Normalises pages of valid records against one person registry."""

    registry: PersonRegistry
    facts: FactKeys = field(init=False)

    def __post_init__(self) -> None:
        self.facts = FactKeys(self.registry)

    @classmethod
    def open(cls, url: str) -> Normaliser:
        return cls(PersonRegistry.open(url))

    def close(self) -> None:
        self.registry.close()

    def flush(self) -> None:
        """Make resolved persons durable; called before the intake transaction commits."""
        self.facts.flush()

    def normalise(self, records: list[ValidRecord]) -> NormalisedPage:
        page = NormalisedPage()
        decoded = [decode_valid(_without_signature(r)) for r in records]
        with_person = [rec.person for rec in decoded if rec.person is not None]
        resolutions = iter(self.registry.resolve_many(_identifiers(p) for p in with_person))
        for record, rec in zip(records, decoded, strict=True):
            person_id = ""
            if rec.person is not None:
                resolution = next(resolutions)
                person_id = resolution.person_id
                page.identity.extend(identity_value(e) for e in resolution.merges)
                page.identity.extend(identity_value(e) for e in resolution.conflicts)
            page.items.append(_candidate(record, rec, person_id, self.facts))
        return page


def _without_signature(record: ValidRecord) -> ValidRecord:
    for sig in record.element.findall(_SIGNATURE):
        record.element.remove(sig)
    return record


def _identifiers(p: PersonData) -> Any:
    return from_person_block(
        iin=p.iin,
        documents=p.documents,
        names=p.names,
        birth_date=p.birth_date,
        citizenship=p.citizenship,
    )


def _candidate(
    record: ValidRecord, rec: SourceRecord, person_id: str, facts: FactKeys
) -> Candidate | Quarantined:
    raw = record.raw
    try:
        # keyed (and routed) by the person of the fact's first report: see identity.fact_keys
        has_iin = bool(rec.person is not None and rec.person.iin)
        key, eid, key_person = facts.key(
            record.record_type, person_id, rec.fields, has_iin=has_iin
        )
    except EventKeyError as exc:
        finding = Finding(
            rule="event-key.missing-field",
            message=str(exc),
            xpath=f"/*/{exc.field}" if exc.field else "/*",
            source=raw.source,
            record_id=raw.record_id,
            raw_digest=raw.digest,
        )
        return Quarantined(raw, (finding,), "normalise")
    return Candidate(
        source=raw.source,
        record_id=rec.record_id,
        version=rec.version,
        record_type=record.record_type,
        family=family_of(record.record_type),
        fact=event_type_of(record.record_type),
        event_key=key,
        event_id=eid,
        partition_key=key_person or key,
        person_id=person_id,
        occurred_at=_iso(rec.occurred_at),
        updated_at=_iso(rec.updated_at),
        raw_digest=raw.digest,
        content_digest=content_digest(key_person, rec.fields).hex(),
        record_xml=etree.tostring(record.element, method="c14n", exclusive=True).decode(),
        schema_version=record.schema_version,
        person=person_summary(rec.person) if rec.person is not None else {},
        verified_by=record.verified_by,
    )


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.isoformat().replace("+00:00", "Z")


def person_summary(p: PersonData) -> dict[str, Any]:
    """The person block of the event: identifiers, names as given and in ICAO Latin."""
    identifiers: list[dict[str, str]] = []
    if p.iin:
        identifiers.append({"scheme": "IIN", "value": p.iin})
    for d in p.documents:
        identifiers.append(
            {
                "scheme": "DOCUMENT",
                "value": d.number,
                "issuing_state": d.issuing_state,
                "document_type": d.type,
            }
        )
    names = [
        {
            "form": "GIVEN",
            "script": n.script,
            "surname": n.surname,
            "given_names": n.given_names,
            "patronymic": n.patronymic or "",
        }
        for n in p.names
    ]
    if p.names:
        n = p.names[0]
        names.append(
            {
                "form": "LATIN",
                "script": "Latn",
                "surname": icao_latin(n.surname),
                "given_names": icao_latin(n.given_names),
                "patronymic": icao_latin(n.patronymic) if n.patronymic else "",
            }
        )
    return {
        "identifiers": identifiers,
        "names": names,
        "birth_date": p.birth_date.isoformat() if p.birth_date else "",
        "sex": p.sex,
        "citizenship": [p.citizenship] if p.citizenship else [],
    }


def identity_value(event: IdentityMerge | IdentityConflict) -> dict[str, Any]:
    """The identity topic's JSON: a merge agencies apply, or a conflict under review."""
    if isinstance(event, IdentityMerge):
        return {
            "kind": "merge",
            "survivor": event.survivor,
            "absorbed": event.absorbed,
            "evidence": [str(i) for i in event.evidence],
        }
    return {"kind": "review", "conflict": event.to_dict(), "person_ids": list(event.person_ids)}
