"""Typed source records: what the validate stage hands to normalisation.

``decode_record`` reads a validated record (an lxml element that passed its
XSD and rules) into plain Python values with lxml iteration; no schema-driven
decoding (xmlschema's is about 50x slower per record). The person block becomes
:class:`PersonData`; every other value of the record is kept as text in
``fields`` under its element name (nested ones as ``Parent.Child``), so the
next stage reads a flat, version-independent mapping.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from lxml import etree

from hub.errors import DocumentError
from hub.intake.validate.catalog import COMMON_NS
from hub.intake.validate.rules import OCCURRED_AT, parse_when, period_start
from hub.intake.validate.validator import ValidationResult
from hub.model.elements import DSIG_NS, local_name, text_of
from hub.model.records import IdDocument, PersonData, PersonName, SourceRecord, ValidRecord

__all__ = [
    "IdDocument",
    "PersonData",
    "PersonName",
    "SourceRecord",
    "decode_record",
    "decode_valid",
]

C = f"{{{COMMON_NS}}}"
_PERSON = f"{C}Person"


# Clark tag -> local name: records repeat a few dozen tags, so a dict lookup replaces a
# function call per element. At most this many are kept (XSD-valid records carry only
# the schemas' tags, so it never fills in practice).
_LOCAL_NAMES_MAX = 10_000
_LOCAL_NAMES: dict[str, str] = {}


def _local_cached(tag: str) -> str:
    name = local_name(tag)
    if len(_LOCAL_NAMES) < _LOCAL_NAMES_MAX:
        _LOCAL_NAMES[tag] = name
    return name


def _child_texts(parent: etree._Element) -> dict[str, str]:
    """Clark tag -> stripped text of the first child of that tag, in one pass."""
    return {c.tag: (c.text or "").strip()
            for c in parent.iterchildren(etree.Element, reversed=True)}


_LINE1, _LINE2 = f"{C}Line1", f"{C}Line2"
_SURNAME, _GIVEN, _PATRONYMIC = f"{C}Surname", f"{C}GivenNames", f"{C}Patronymic"


_DSIG_PREFIX = f"{{{DSIG_NS}}}"


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0, 0), tzinfo=UTC)


def decode_person(person: etree._Element) -> PersonData:
    iin = None
    documents: list[IdDocument] = []
    names: list[PersonName] = []
    birth: date | None = None
    sex = citizenship = ""
    mrz: tuple[str, str] | None = None
    for child in person.iterchildren(etree.Element):
        name = _LOCAL_NAMES.get(child.tag) or _local_cached(child.tag)
        if name == "IIN":
            iin = text_of(child)
        elif name == "Document":
            expiry = child.get("expiry")
            documents.append(IdDocument(child.get("type", ""), child.get("issuingState", ""),
                                        child.get("number", ""),
                                        date.fromisoformat(expiry) if expiry else None))
        elif name == "MRZ":
            lines = _child_texts(child)
            mrz = (lines.get(_LINE1, ""), lines.get(_LINE2, ""))
        elif name == "Name":
            parts = _child_texts(child)
            names.append(PersonName(child.get("script", ""), parts.get(_SURNAME, ""),
                                    parts.get(_GIVEN, ""), parts.get(_PATRONYMIC, "")))
        elif name == "BirthDate":
            birth = date.fromisoformat(text_of(child))
        elif name == "Sex":
            sex = text_of(child)
        elif name == "Citizenship":
            citizenship = text_of(child)
    return PersonData(iin, tuple(documents), tuple(names), birth, sex, citizenship, mrz)


def _flatten(el: etree._Element, prefix: str, out: dict[str, str]) -> etree._Element | None:
    """Leaf texts of ``el`` into ``out``; returns its first Person child (skipped here)."""
    person = None
    for child in el.iterchildren(etree.Element):
        tag = child.tag
        if tag == _PERSON:
            person = child if person is None else person
            continue
        if tag.startswith(_DSIG_PREFIX):
            continue
        key = prefix + (_LOCAL_NAMES.get(tag) or _local_cached(tag))
        if len(child):
            _flatten(child, key + ".", out)
        else:
            out[key] = (child.text or "").strip()
    return person


def decode_record(result: ValidationResult, *, source: str, raw_digest: str) -> SourceRecord:
    """Typed values of a record that passed validation (``result.ok``)."""
    root = result.element
    if not result.ok or root is None:
        raise DocumentError(f"cannot decode a record that failed validation: {result.rules}",
                            rule="decode.not-validated")
    if result.family == "event":
        raise DocumentError("an Event is the hub's output, not a source record",
                            rule="decode.not-a-source-record")
    return _decode(root, result.record_type, result.family, result.version, result.namespace,
                   source, raw_digest)


def decode_valid(record: ValidRecord) -> SourceRecord:
    """Typed values of a record the validate step let through."""
    return _decode(record.element, record.record_type, record.schema_family,
                   record.schema_version, record.namespace, record.raw.source, record.raw.digest)


def _decode(root: etree._Element, record_type: str, family: str, version: int, namespace: str,
            source: str, raw_digest: str) -> SourceRecord:
    fields: dict[str, str] = {}
    person_el = _flatten(root, "", fields)  # = root.find(_PERSON), in the same pass
    occurred_name = OCCURRED_AT[record_type]
    raw = fields.get(occurred_name, "")
    occurred = _as_datetime(period_start(raw) if occurred_name == "Period" else parse_when(raw))
    updated = parse_when(root.get("updatedAt", ""))
    if not isinstance(updated, datetime) or occurred is None:  # the XSD makes this unreachable
        raise DocumentError(f"{record_type}: unreadable updatedAt or {occurred_name}",
                            rule="decode.unreadable-time")
    return SourceRecord(
        record_type=record_type,
        family=family,
        schema_version=version,
        source=source,
        record_id=root.get("recordId", ""),
        version=int(root.get("version", "1")),
        updated_at=updated,
        person=decode_person(person_el) if person_el is not None else None,
        occurred_at=occurred,
        fields=fields,
        raw_digest=raw_digest,
        namespace=namespace,
    )
