"""The verify and normalise stages: authentic partner documents, resolved persons.

verify: a CIS partner's record must carry a valid XMLDSig chaining to that
partner's pinned CA; only the signed payload flows on (no signature wrapping).
normalise: decode the record to typed values, resolve the person to a canonical
id, derive the event key and id, and build the intake candidate keyed by person
(statistics observations and quotas, which have no person, by their fact key).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from hub.config import Settings
from hub.findings import Finding
from hub.pipeline import (
    Candidate,
    Quarantined,
    Valid,
    content_digest,
    record_routing,
    strip_signatures,
)
from hub.sources import SourceConfig


@dataclass
class Normaliser:
    source: SourceConfig
    registry: Any
    trust: Any | None

    @classmethod
    def open(cls, settings: Settings, source: SourceConfig) -> Normaliser:
        from hub.identity.registry import open_registry

        trust = None
        if source.family == "partner":
            from security.trust import TrustStore

            trust = TrustStore.load(settings.var_dir / "pki" / "trust")
        return cls(source=source, registry=open_registry(settings), trust=trust)

    def close(self) -> None:
        self.registry.close()

    @property
    def partner(self) -> str:
        return str(self.source.options.get("country", ""))

    def verify(self, items: Iterable[Valid | Quarantined]) -> Iterator[Valid | Quarantined]:
        from hub.errors import TrustError
        from security.verify import verify_partner_document

        for item in items:
            if not isinstance(item, Valid) or self.trust is None:
                yield item
                continue
            try:
                verified = verify_partner_document(
                    item.element, partner=self.partner, trust=self.trust
                )
            except TrustError as exc:
                yield Quarantined(
                    item.raw,
                    (
                        Finding(
                            rule=exc.rule,
                            message=str(exc),
                            xpath="/*/ds:Signature",
                            source=item.raw.source,
                            record_id=item.raw.record_id,
                            raw_digest=item.raw.digest,
                        ),
                    ),
                    "verify",
                )
                continue
            item.element = verified.element
            item.verified_by = verified.signer
            yield item

    def normalise(
        self, items: Iterable[Valid | Quarantined]
    ) -> Iterator[Candidate | Quarantined]:
        from hub.identity.event_key import event_id, event_key
        from hub.records import decode_record

        for item in items:
            if not isinstance(item, Valid):
                yield item
                continue
            raw = item.raw
            rec = decode_record(item, source=raw.source, raw_digest=raw.digest)
            family, fact = record_routing(item.record_type)
            person: dict[str, Any] = {}
            person_id = ""
            if rec.person is not None:
                resolution = self.registry.resolve_record(rec)
                person_id = resolution.person_id
                person = self.registry.person_summary(rec, person_id)
            key = event_key(item.record_type, person_id, rec.fields)
            eid = str(event_id(key))
            element = strip_signatures(item.element)
            yield Candidate(
                source=raw.source,
                record_id=rec.record_id,
                version=rec.version,
                record_type=item.record_type,
                family=family,
                fact=fact,
                event_key=key,
                event_id=eid,
                partition_key=person_id or key,
                person_id=person_id,
                occurred_at=rec.occurred_at or "",
                updated_at=rec.updated_at or "",
                raw_digest=raw.digest,
                content_digest=content_digest(element),
                record_xml=_xml(element),
                schema_version=item.schema_version,
                person=person,
                verified_by=item.verified_by,
            )


def _xml(element: Any) -> str:
    from lxml import etree

    return etree.tostring(element, encoding="unicode")
