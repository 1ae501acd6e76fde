"""The verify and normalise stages: authentic partner documents, resolved persons.

verify: a CIS partner's record must carry a valid XMLDSig chaining to that
partner's pinned CA; only the signed payload flows on (no signature wrapping).
normalise: decode the record to typed values, resolve the person to a canonical
id, derive the event key and id, and build the intake candidate keyed by person
(statistics observations and quotas, which have no person, by their fact key).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hub.config import Settings
from hub.intake.decode import PersonData, decode_record
from hub.intake.identity.event_key import EventKeyError, event_id, event_key
from hub.intake.identity.model import IdentityConflict, IdentityMerge, from_person_block
from hub.intake.identity.registry import PersonRegistry
from hub.intake.identity.translit import icao_latin
from hub.intake.pipeline import Candidate, Quarantined, Valid, strip_signatures
from hub.intake.validate import ValidationResult
from hub.model.families import event_type_of, family_of
from hub.model.findings import Finding
from hub.publish.dedup import content_digest
from hub.sources import SourceConfig


def registry_url(settings: Settings) -> str:
    """``HUB_REGISTRY_URL`` (PostgreSQL in production) or the embedded SQLite file."""
    import os

    return os.environ.get("HUB_REGISTRY_URL") or str(settings.var_dir / "registry.sqlite")


@dataclass
class Normaliser:
    source: SourceConfig
    registry: PersonRegistry
    trust: Any | None
    #: merges and review flags seen since the last :meth:`take_identity_events`
    identity_events: list[IdentityMerge | IdentityConflict] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, source: SourceConfig) -> Normaliser:
        trust = None
        if source.family == "partner":
            from hub.keys import trust_store

            trust = trust_store(settings)
        return cls(source=source, registry=PersonRegistry.open(registry_url(settings)), trust=trust)

    def close(self) -> None:
        self.registry.close()

    def flush(self) -> None:
        """Make resolved persons durable; called before the intake transaction commits."""
        self.registry.flush()

    def take_identity_events(self) -> list[dict[str, Any]]:
        """Merges and review flags since the last call, as identity-topic values."""
        events, self.identity_events = self.identity_events, []
        return [identity_value(e) for e in events]

    @property
    def partner(self) -> str:
        return str(self.source.options.get("state", ""))

    def verify(self, items: Iterable[Valid | Quarantined]) -> Iterator[Valid | Quarantined]:
        from security.verifier import check_partner_document

        for item in items:
            if not isinstance(item, Valid) or self.trust is None:
                yield item
                continue
            outcome = check_partner_document(item.element, partner=self.partner, trust=self.trust)
            if outcome.document is None:
                raw = item.raw
                findings = tuple(
                    Finding.from_problem(p, source=raw.source, record_id=raw.record_id,
                                         raw_digest=raw.digest)
                    for p in outcome.problems
                )
                yield Quarantined(item.raw, findings, "verify")
                continue
            item.element = outcome.document.element
            item.verified_by = outcome.document.signer
            yield item

    def normalise(
        self, items: Iterable[Valid | Quarantined]
    ) -> Iterator[Candidate | Quarantined]:
        for item in items:
            yield self._normalise(item) if isinstance(item, Valid) else item

    def _normalise(self, item: Valid) -> Candidate | Quarantined:
        raw = item.raw
        element = strip_signatures(item.element)
        result = ValidationResult(
            True, element, item.record_type, item.namespace, item.schema_version, (),
            item.schema_family,
        )
        rec = decode_record(result, source=raw.source, raw_digest=raw.digest)
        person: dict[str, Any] = {}
        person_id = ""
        if rec.person is not None:
            p = rec.person
            resolution = self.registry.resolve(
                from_person_block(
                    iin=p.iin,
                    documents=p.documents,
                    names=p.names,
                    birth_date=p.birth_date,
                    citizenship=p.citizenship,
                )
            )
            person_id = resolution.person_id
            self.identity_events.extend(resolution.merges)
            self.identity_events.extend(resolution.conflicts)
            person = person_summary(p)
        try:
            key = event_key(item.record_type, person_id, rec.fields)
        except EventKeyError as exc:
            return Quarantined(
                raw,
                (
                    Finding(
                        rule="event-key.missing-field",
                        message=str(exc),
                        xpath=f"/*/{exc.field}" if exc.field else "/*",
                        source=raw.source,
                        record_id=raw.record_id,
                        raw_digest=raw.digest,
                    ),
                ),
                "normalise",
            )
        eid = str(event_id(key))
        from lxml import etree

        return Candidate(
            source=raw.source,
            record_id=rec.record_id,
            version=rec.version,
            record_type=item.record_type,
            family=family_of(item.record_type),
            fact=event_type_of(item.record_type),
            event_key=key,
            event_id=eid,
            partition_key=person_id or key,
            person_id=person_id,
            occurred_at=_iso(rec.occurred_at),
            updated_at=_iso(rec.updated_at),
            raw_digest=raw.digest,
            content_digest=content_digest(person_id, rec.fields).hex(),
            record_xml=etree.tostring(element, encoding="unicode"),
            schema_version=item.schema_version,
            person=person,
            verified_by=item.verified_by,
        )


def _iso(value: Any) -> str:
    if value is None:
        return ""
    text = value.isoformat()
    return text.replace("+00:00", "Z")


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
    names: list[dict[str, str]] = []
    for n in p.names:
        given = {
            "form": "GIVEN",
            "script": n.script,
            "surname": n.surname,
            "given_names": n.given_names,
            "patronymic": n.patronymic or "",
        }
        names.append(given)
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
