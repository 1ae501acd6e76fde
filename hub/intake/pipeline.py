"""Stage-1 transforms as plain functions over iterators of records.

extract -> validate -> verify -> normalise. Each takes an iterator and yields
items; a record that fails a stage becomes :class:`Quarantined` with findings
and flows on to the DLQ, never stopping its neighbours. No Kafka, no files,
no Airflow here: the drivers (``hub.intake.stage``) wire these to the edges.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from connectors.base import RawRecord
from hub.model.families import FAMILY_OF
from hub.model.findings import Finding

DS_NS = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that failed a stage; goes to the DLQ with every finding."""

    raw: RawRecord
    findings: tuple[Finding, ...]
    stage: str

    def dlq_value(self) -> dict[str, Any]:
        return {
            "source": self.raw.source,
            "record_id": self.raw.record_id,
            "raw_digest": self.raw.digest,
            "origin": self.raw.origin,
            "stage": self.stage,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(slots=True)
class Valid:
    """A record that passed the contract; ``element`` is its parsed root."""

    raw: RawRecord
    element: etree._Element
    record_type: str
    namespace: str
    schema_version: int
    #: the schema family of the namespace (interior, labour, partner, statistics)
    schema_family: str = ""
    verified_by: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A normalised record ready for intake: keyed by person, with its event identity."""

    source: str
    record_id: str
    version: int
    record_type: str
    family: str
    fact: str
    event_key: str
    event_id: str
    partition_key: str
    person_id: str
    occurred_at: str
    updated_at: str
    raw_digest: str
    content_digest: str
    record_xml: str
    schema_version: int = 1
    person: dict[str, Any] = field(default_factory=dict)
    verified_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Candidate:
        return cls(**d)


Item = Valid | Quarantined


def validate(records: Iterable[RawRecord]) -> Iterator[Item]:
    """XSD and business rules; every failure becomes findings, never an exception."""
    from hub.intake.validate import validate_record

    for raw in records:
        result = validate_record(
            raw.body, source=raw.source, record_id=raw.record_id, raw_digest=raw.digest
        )
        if not result.ok or result.element is None:
            yield Quarantined(raw, tuple(result.findings), "validate")
        elif result.record_type not in FAMILY_OF:
            yield Quarantined(
                raw,
                (
                    Finding(
                        rule="route.unknown-record-type",
                        message=f"no event family for record type {result.record_type}",
                        xpath="/*",
                        source=raw.source,
                        record_id=raw.record_id,
                        raw_digest=raw.digest,
                    ),
                ),
                "validate",
            )
        else:
            yield Valid(raw, result.element, result.record_type, result.namespace, result.version)


def strip_signatures(element: etree._Element) -> etree._Element:
    for sig in element.findall(f"{{{DS_NS}}}Signature"):
        element.remove(sig)
    return element




# --- wire formats: intake and DLQ values, staged items ---------------------------


def encode_candidate(c: Candidate) -> bytes:
    return json.dumps(c.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


def decode_candidate(value: bytes) -> Candidate:
    return Candidate.from_dict(json.loads(value))


def encode_quarantined(q: Quarantined) -> bytes:
    return json.dumps(q.dlq_value(), ensure_ascii=False, separators=(",", ":")).encode()


def item_to_dict(
    item: RawRecord | Valid | Quarantined | Candidate | dict[str, Any],
) -> dict[str, Any]:
    from hub.intake.staging import raw_to_dict

    if isinstance(item, dict):  # an identity notice (merge or review) for the identity topic
        return {"kind": "identity", "notice": item}
    if isinstance(item, RawRecord):
        return {"kind": "raw", **raw_to_dict(item)}
    if isinstance(item, Valid):
        return {
            "kind": "valid",
            **raw_to_dict(item.raw),
            "record_type": item.record_type,
            "namespace": item.namespace,
            "schema_version": item.schema_version,
            "schema_family": item.schema_family,
            "verified_by": item.verified_by,
            "xml": etree.tostring(item.element, encoding="unicode"),
        }
    if isinstance(item, Quarantined):
        return {
            "kind": "quarantined",
            **raw_to_dict(item.raw),
            "stage": item.stage,
            "findings": [f.to_dict() for f in item.findings],
        }
    return {"kind": "candidate", "candidate": item.to_dict()}


def item_from_dict(
    d: dict[str, Any],
) -> RawRecord | Valid | Quarantined | Candidate | dict[str, Any]:
    from hub.intake.staging import raw_from_dict
    from security.safe_xml import parse_untrusted

    kind = d["kind"]
    if kind == "identity":
        return dict(d["notice"])
    if kind == "candidate":
        return Candidate.from_dict(d["candidate"])
    raw = raw_from_dict(d)
    if kind == "raw":
        return raw
    if kind == "valid":
        return Valid(
            raw,
            parse_untrusted(d["xml"].encode()),
            d["record_type"],
            d["namespace"],
            d["schema_version"],
            d.get("schema_family", ""),
            d.get("verified_by", ""),
        )
    if kind == "quarantined":
        return Quarantined(raw, tuple(Finding.from_dict(f) for f in d["findings"]), d["stage"])
    raise ValueError(f"unknown staged item kind {kind!r}")
