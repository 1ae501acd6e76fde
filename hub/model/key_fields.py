"""The fields that make a fact unique, and how each is normalised into its key.

A fact's key (``hub.intake.identity.event_key``) is built from a few of its record's
elements, each reduced to one canonical text, so that two agencies writing the same
value differently (``12-34 567`` and ``1234567``, ``IN`` and ``ENTRY``, a time in
another zone) give the same key. The record-type table
(:mod:`hub.model.record_types`) lists each fact's fields with these normalisers; a
normaliser raises :class:`ValueError` for a value that cannot key an event.

Changing what a normaliser returns changes event ids: every consumer's dedup relies
on them (known-answer tests in ``tests/unit/intake/identity`` pin them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

# ASCII characters that are not letters or digits (str.isalnum), for str.translate.
_DROP_ASCII_NON_ALNUM = dict.fromkeys(c for c in range(128) if not chr(c).isalnum())


def normalise_doc_number(number: str) -> str:
    """Upper case without spaces, hyphens or MRZ fillers: '№ 12-34 567<' -> '1234567'."""
    upper = number.upper()
    if upper.isalnum():  # the usual case: nothing to drop, no per-character loop
        return upper
    if upper.isascii():  # ASCII: the characters to drop deleted by one translate
        return upper.translate(_DROP_ASCII_NON_ALNUM)
    return "".join(ch for ch in upper if ch.isalnum())


def code(value: str) -> str:
    """Codes and numbers: upper case, letters and digits only (as document numbers)."""
    return normalise_doc_number(value)


def words(value: str) -> str:
    """Free text: one space between words, upper case."""
    return " ".join(value.split()).upper()


def day(value: str) -> str:
    """xs:date (or the date part of xs:dateTime) -> ``YYYY-MM-DD``."""
    text = value.strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError as exc:
        raise ValueError(f"not a date: {value!r}") from exc


def minute(value: str) -> str:
    """xs:dateTime -> its UTC minute; a time without zone is taken as UTC (as agencies send)."""
    text = value.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


_DIRECTIONS = {"ENTRY": "ENTRY", "IN": "ENTRY", "ARRIVAL": "ENTRY", "EXIT": "EXIT",
               "OUT": "EXIT", "DEPARTURE": "EXIT"}


def direction(value: str) -> str:
    """A crossing's direction as Kazakhstan's records state it: ENTRY or EXIT."""
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


# Called only while the record-type table is built at import: mutation testing switches
# mutants per call after import, so no test could ever see a mutant here (the table
# itself is checked by the known-answer keys of every fact).
def key(
    name: str, *sources: str, norm: Callable[[str], str] = code, required: bool = True
) -> KeyField:  # pragma: no mutate block
    """``key("minute", "CrossedAt", norm=minute)``: a field named ``minute`` in the key,
    read from the first of ``sources`` the record has; optional fields may be absent."""
    return KeyField(name, sources, norm, required)
