"""A record along stage 1: as received, as validated, as decoded, or quarantined.

``RawRecord`` (connectors.base) is a record exactly as an agency sent it.
Validation parses it once into a :class:`ValidRecord` (the lxml root travels
on, never re-parsed); verification and normalisation read that element; a
record that fails any step becomes :class:`Quarantined` with every finding and
goes to the DLQ, never stopping its neighbours. :class:`SourceRecord` is the
typed reading of a valid record that normalisation keys and resolves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from lxml import etree

from connectors.base import RawRecord
from hub.model.findings import Finding


@dataclass(slots=True)
class ValidRecord:
    """A record that passed the contract; ``element`` is its parsed root."""

    raw: RawRecord
    element: etree._Element
    record_type: str
    namespace: str
    schema_version: int
    #: the schema family of the namespace (interior, labour, partner, statistics)
    schema_family: str = ""
    #: the partner certificate that signed it (verify step), "" when unsigned
    verified_by: str = ""


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that failed a step; goes to the DLQ with every finding."""

    raw: RawRecord
    findings: tuple[Finding, ...]
    stage: str

    @property
    def rule(self) -> str:
        """The first finding's rule: what the record is counted under."""
        return self.findings[0].rule

    def dlq_json(self) -> bytes:
        """The DLQ message's value."""
        return json.dumps(self.dlq_value(), ensure_ascii=False, separators=(",", ":")).encode()

    def dlq_value(self) -> dict[str, Any]:
        return {
            "source": self.raw.source,
            "record_id": self.raw.record_id,
            "raw_digest": self.raw.digest,
            "origin": self.raw.origin,
            "stage": self.stage,
            "findings": [f.to_dict() for f in self.findings],
        }


class IdDocument(NamedTuple):
    type: str
    issuing_state: str
    number: str
    expiry: date | None


class PersonName(NamedTuple):
    script: str
    surname: str
    given_names: str
    patronymic: str


@dataclass(frozen=True, slots=True)
class PersonData:
    iin: str | None
    documents: tuple[IdDocument, ...]
    names: tuple[PersonName, ...]
    birth_date: date | None
    sex: str
    citizenship: str
    #: the two TD3 MRZ lines when the record carried them
    mrz: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """The typed values of a valid record, independent of its schema version."""

    record_type: str
    family: str
    schema_version: int
    source: str
    record_id: str
    version: int
    updated_at: datetime
    person: PersonData | None
    #: time of the fact (CrossedAt, DecisionDate, ...); a date without time is 00:00 UTC that day
    occurred_at: datetime
    fields: dict[str, str] = field(default_factory=dict)
    raw_digest: str = ""
    namespace: str = ""
