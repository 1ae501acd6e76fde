"""Event keys: one key per real-world fact, whichever agency reports it.

``event_key(event_type, person_id, fields)`` is ``fact/v1|person|name=value|…``
over the fields that make the fact unique, normalised; ``event_id(key)`` is its
UUIDv5 under :data:`HUB_EVENT_NAMESPACE`, so any consumer can deduplicate too.

Record types map onto *facts* and each fact names its key fields in the record-type
table (:mod:`hub.model.record_types`: :data:`FACTS`, :data:`FACT_KEYS`,
:data:`PERSONLESS_FACTS` are its views): a partner's border notice and the interior
ministry's border crossing of the same passage are the fact ``border-crossing`` and get
the same key. This module builds the key; the table says what goes into it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from urllib.parse import quote

from hub.errors import HubError
from hub.model.record_types import FACT_KEYS, FACTS, PERSONLESS_FACTS
from hub.model.uuids import uuid5_text

__all__ = ["FACTS", "FACT_KEYS", "HUB_EVENT_NAMESPACE", "KEY_FORMAT", "PERSONLESS_FACTS",
           "EventKeyError", "event_id", "event_id_text", "event_key", "fact_of"]

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
