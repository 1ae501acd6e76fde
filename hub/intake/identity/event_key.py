"""Event keys: one key per real-world fact, whichever agency reports it.

``event_key(event_type, person_id, fields)`` is ``fact/v1|person|name=value|…``
over the fields that make the fact unique, normalised; ``event_id(key)`` is its
UUIDv5 under :data:`HUB_EVENT_NAMESPACE`, so any consumer can deduplicate too.

Record types map onto *facts* (:data:`FACTS`): a partner's border notice and the
interior ministry's border crossing of the same passage are the fact
``border-crossing`` and get the same key. Field names are the record's element
names; each key field lists the names different record types use for it.
A partner's border notice states direction and border point as Kazakhstan's
records do (the Kazakh checkpoint code, ENTRY into Kazakhstan), which is how the
partner schema and the agencies' simulator define it; its time may be in
another zone, so the minute is taken in UTC.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote

from hub.errors import HubError
from hub.intake.identity.model import normalise_doc_number
from hub.model.uuids import uuid5_text

#: Namespace of event ids. Fixed forever: every consumer's dedup relies on it.
#: (= uuid5(NAMESPACE_URL, "urn:kz:mhub:event"), pinned by a test.)
HUB_EVENT_NAMESPACE = uuid.UUID("c931719e-c5cb-5bbc-ad8d-eb0d5a40e379")

#: Version of the key format: bump (and migrate the index) if normalisation changes.
KEY_FORMAT = "v1"


class EventKeyError(HubError):
    """A record lacks a field its event key needs; the stage turns it into a Finding."""

    def __init__(self, message: str, *, event_type: str, field: str) -> None:
        super().__init__(message)
        self.rule = "event-key.missing-field"
        self.event_type = event_type
        self.field = field


# --- normalisers: each returns the canonical text of one key field ---------------


def _text(value: str) -> str:
    return " ".join(value.split()).upper()


def _code(value: str) -> str:
    """Codes and numbers: upper case, letters and digits only (as document numbers)."""
    return normalise_doc_number(value)


def _date(value: str) -> str:
    text = value.strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError as exc:
        raise ValueError(f"not a date: {value!r}") from exc


def _minute(value: str) -> str:
    """xs:dateTime -> its UTC minute; a time without zone is taken as UTC (as agencies send)."""
    text = value.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


_DIRECTIONS = {"ENTRY": "ENTRY", "IN": "ENTRY", "ARRIVAL": "ENTRY", "EXIT": "EXIT",
               "OUT": "EXIT", "DEPARTURE": "EXIT"}


def _direction(value: str) -> str:
    try:
        return _DIRECTIONS[value.strip().upper()]
    except KeyError as exc:
        raise ValueError(f"not a direction: {value!r}") from exc


@dataclass(frozen=True, slots=True)
class KeyField:
    """One component of a key: its canonical name, the record fields that hold it, a normaliser."""

    name: str
    sources: tuple[str, ...]
    normalise: Callable[[str], str]
    required: bool = True


# Called only while the tables below are built at import: mutation testing switches
# mutants per call after import, so no test could ever see a mutant here (the tables
# themselves are checked by the known-answer keys of every fact).
def _f(
    name: str, *sources: str, norm: Callable[[str], str] = _code, required: bool = True
) -> KeyField:  # pragma: no mutate block
    return KeyField(name, sources, norm, required)


_BORDER = (
    _f("border_point", "BorderPoint"),
    _f("direction", "Direction", norm=_direction),
    _f("minute", "CrossedAt", norm=_minute),
)
_DECISION = (_f("number", "DecisionNumber"), _f("date", "DecisionDate", norm=_date))

#: fact -> the fields that make it unique (the table is the specification).
#: Names are the element names of schemas/{interior,labour,partner}/v1.
FACT_KEYS: dict[str, tuple[KeyField, ...]] = {
    "border-crossing": _BORDER,
    "stay-registration": (_f("kato", "Kato"), _f("from", "From", norm=_date)),
    "residence-permit": (_f("permit", "PermitNumber"),),
    "citizenship-decision": _DECISION,
    "violation": (_f("case", "CaseNumber"),),
    # A partner's notice of a deportation or entry ban carries its own case or
    # ban number; what both reports share is the moment it was carried out (to the
    # UTC minute, as crossings) or the ban's validity. A day alone was too weak: two
    # deportations, or two partners' bans starting the same day, of one person
    # became one event id (tests/unit/intake/identity/test_event_key_unique.py).
    "deportation": (_f("executed", "ExecutedAt", norm=_minute),),
    "entry-ban": (
        _f("from", "ValidFrom", norm=_date), _f("to", "ValidTo", norm=_date, required=False),
    ),
    "asylum-application": (_f("application", "ApplicationNumber"),),
    "refugee-status-decision": _DECISION,
    # Issue and revocation of one permit are two facts.
    "work-permit": (_f("permit", "PermitNumber"), _f("action", "Action", norm=_text)),
    # One quota decision: a later decision for the same region, sector, category and
    # year (a revision) is a fact of its own, told apart by its decision date.
    "labour-quota": (
        _f("kato", "Kato"),
        _f("sector", "Sector", norm=_text),
        _f("category", "Category", norm=_text, required=False),
        _f("year", "Year"),
        _f("decided", "DecisionDate", norm=_date),
    ),
    # The kandas quota of a region and year, as the labour quota: a revision is a
    # decision of its own, told apart by its date (the statistics take the latest).
    "kandas-quota": (
        _f("kato", "Kato"),
        _f("year", "QuotaYear"),
        _f("decided", "DecisionDate", norm=_date),
    ),
    "kandas-admission": (_f("decision", "DecisionNumber"),),
    "kandas-resettlement": (_f("certificate", "CertificateNumber"),),
    # Registration of a partner's citizen in the partner state: no interior twin.
    "partner-registration": (
        _f("state", "PartnerState"),
        _f("from", "From", norm=_date),
        _f("to", "To", norm=_date, required=False),
    ),
    # SDMX observations are keyed by their series and period.
    "statistics-observation": (
        _f("dataflow", "Dataflow", norm=_text),
        _f("series", "SeriesKey", norm=_text),
        _f("period", "Period", norm=_text),
    ),
}

#: record / event type -> fact. Partner notices map onto the interior's fact.
FACTS: dict[str, str] = {
    "BorderCrossing": "border-crossing",
    "PartnerBorderNotice": "border-crossing",
    "StayRegistration": "stay-registration",
    "ResidencePermit": "residence-permit",
    "CitizenshipDecision": "citizenship-decision",
    "Violation": "violation",
    "Deportation": "deportation",
    "PartnerDeportationNotice": "deportation",
    "EntryBan": "entry-ban",
    "PartnerEntryBanNotice": "entry-ban",
    "AsylumApplication": "asylum-application",
    "RefugeeStatusDecision": "refugee-status-decision",
    "WorkPermit": "work-permit",
    "LabourQuota": "labour-quota",
    "KandasQuota": "kandas-quota",
    "KandasAdmission": "kandas-admission",
    "KandasResettlement": "kandas-resettlement",
    "PartnerCitizenRegistration": "partner-registration",
    "Observation": "statistics-observation",
}

#: Facts about no one person (aggregates): their key has an empty person part.
PERSONLESS_FACTS = frozenset({"labour-quota", "kandas-quota", "statistics-observation"})


def fact_of(event_type: str) -> str:
    """The canonical fact of a record type ('PartnerBorderNotice' -> 'border-crossing')."""
    try:
        return FACTS[event_type]
    except KeyError as exc:
        raise EventKeyError(
            f"no event key defined for {event_type!r}", event_type=event_type, field=""
        ) from exc


def event_key(event_type: str, person_id: str, fields: Mapping[str, str]) -> str:
    """The key of the fact a record reports; equal for every report of the same fact."""
    fact = fact_of(event_type)
    if not person_id and fact not in PERSONLESS_FACTS:
        raise EventKeyError(
            f"{event_type} needs a resolved person", event_type=event_type, field="person"
        )
    parts = [f"{fact}/{KEY_FORMAT}", person_id]
    for spec in FACT_KEYS[fact]:
        raw = None
        for name in spec.sources:  # a loop, not next(genexpr): this runs per key field
            if fields.get(name):
                raw = fields[name]
                break
        if raw is None and not spec.required:
            continue
        if raw is None:
            raise EventKeyError(
                f"{event_type} lacks {' / '.join(spec.sources)} for its event key",
                event_type=event_type,
                field=spec.sources[0],
            )
        try:
            value = spec.normalise(raw)
        except ValueError as exc:
            raise EventKeyError(
                f"{event_type}: {spec.sources[0]}={raw!r} cannot key an event: {exc}",
                event_type=event_type,
                field=spec.sources[0],
            ) from exc
        parts.append(f"{spec.name}={_quote(value)}")
    return "|".join(parts)


# What ``quote(value, safe='')`` leaves as it is: most key values are only these.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


_ASCII_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-")
# ASCII text escaped by one translate (minutes carry ':'): what quote() does to ASCII.
_QUOTE_ASCII = str.maketrans(
    {chr(c): f"%{c:02X}" for c in range(128) if chr(c) not in _ASCII_UNRESERVED}
)


def _quote(value: str) -> str:
    """``urllib.parse.quote(value, safe='')``, without its per-byte loop for ASCII text."""
    if _UNRESERVED.fullmatch(value):
        return value
    if value.isascii():
        return value.translate(_QUOTE_ASCII)
    return quote(value, safe="")


def event_id(key: str) -> uuid.UUID:
    """UUIDv5 of an event key under the hub's fixed namespace."""
    return uuid.uuid5(HUB_EVENT_NAMESPACE, key)


def event_id_text(key: str) -> str:
    """``str(event_id(key))`` without building a UUID object (stage 1 makes one a record)."""
    return uuid5_text(HUB_EVENT_NAMESPACE, key)
