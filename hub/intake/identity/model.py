"""Values of identity resolution: what a record says about a person, and what resolving it did.

:class:`PersonIdentifiers` is the registry's input, small on purpose so that it
is built from any record's person block (see :func:`from_person_block`).
:class:`Resolution` is the output; its links, merges and conflicts are plain
frozen values the publishing stage turns into identity events.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hub.intake.identity.translit import first_given_name, match_keys
from hub.model.key_fields import normalise_doc_number


class IdKind(enum.StrEnum):
    """Kinds of identifier. IIN and documents are strong; the name key is weak."""

    IIN = "iin"
    DOCUMENT = "doc"
    NAME = "name"

    @property
    def strong(self) -> bool:
        return self is not IdKind.NAME


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier in its canonical text form (the registry's key)."""

    kind: IdKind
    value: str

    def __str__(self) -> str:
        # A StrEnum formats as its value; ``kind.value`` goes through enum's slow descriptor.
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True, slots=True)
class Document:
    """A travel or identity document: type (P, ID, RP, ...), issuing state (alpha-3), number."""

    type: str
    issuing_state: str
    number: str
    expiry: str | None = None

    @property
    def identifier(self) -> Identifier:
        number = normalise_doc_number(self.number)
        return Identifier(IdKind.DOCUMENT, f"{self.issuing_state.upper()}:{number}")


@dataclass(frozen=True, slots=True)
class PersonName:
    """A name as written in one script (Cyrl or Latn); the patronymic is optional."""

    script: str
    surname: str
    given_names: str
    patronymic: str | None = None


@dataclass(frozen=True, slots=True)
class PersonIdentifiers:
    """Everything a record carries that can identify its person."""

    iin: str | None = None
    documents: tuple[Document, ...] = ()
    names: tuple[PersonName, ...] = ()
    birth_date: str | None = None  # ISO date, yyyy-mm-dd
    citizenship: str | None = None  # ISO 3166-1 alpha-3

    def strong_identifiers(self) -> list[Identifier]:
        """IIN first, then documents, without repeats: the order decides precedence."""
        found: list[Identifier] = []
        if self.iin:
            found.append(Identifier(IdKind.IIN, self.iin.strip()))
        for doc in self.documents:
            ident = doc.identifier
            if doc.number.strip() and ident not in found:
                found.append(ident)
        return found

    def name_keys(self) -> list[Identifier]:
        """Weak keys: surname + first given name (no patronymic) + birth date + citizenship.

        One per distinct spelling key, so a record with a Cyrillic and a Latin
        name that fold differently links both keys to its person.
        """
        if not self.birth_date or not self.citizenship:
            return []
        keys: list[Identifier] = []
        for name in self.names:
            surnames = match_keys(name.surname)
            givens = match_keys(first_given_name(name.given_names))
            if not surnames[0] or not givens[0]:
                continue
            for surname, given in itertools.product(surnames, givens):  # Latin X: both readings
                ident = Identifier(
                    IdKind.NAME, f"{surname}|{given}|{self.birth_date}|{self.citizenship.upper()}"
                )
                if ident not in keys:
                    keys.append(ident)
        return keys

    def document_classes(self) -> dict[tuple[str, str], str]:
        """(type, issuing state) -> normalised number, for the weak-match safety check."""
        return {
            (d.type.upper(), d.issuing_state.upper()): normalise_doc_number(d.number)
            for d in self.documents
        }


class ConflictKind(enum.StrEnum):
    """Why a resolution needs a human: each is written to the review table, never merged."""

    #: strong identifiers of one record point to persons whose IINs differ
    STRONG_IDS_DISAGREE = "strong-ids-disagree"
    #: the record's IIN is unknown but its document belongs to a person with another IIN
    DOCUMENT_IIN_MISMATCH = "document-iin-mismatch"
    #: a strong identifier's person has another birth date than the record
    BIRTH_DATE_MISMATCH = "birth-date-mismatch"
    #: the name key matches persons with other IINs or documents: namesakes, not linked
    NAME_KEY_COLLISION = "name-key-collision"
    #: the name key fits several persons: none was guessed, a new person was made
    NAME_KEY_AMBIGUOUS = "name-key-ambiguous"


@dataclass(frozen=True, slots=True)
class IdentityLink:
    """An identifier newly bound to a person; ``via`` says on what evidence."""

    person_id: str
    identifier: Identifier
    via: str  # "new-person", "same-record" (strong), "name-key" (weak)


@dataclass(frozen=True, slots=True)
class IdentityMerge:
    """Two persons found to be one by strong evidence; the absorbed id now aliases the survivor."""

    survivor: str
    absorbed: str
    evidence: tuple[Identifier, ...]


@dataclass(frozen=True, slots=True)
class IdentityConflict:
    """Evidence that did not fit; recorded for review, nothing was merged."""

    kind: ConflictKind
    person_ids: tuple[str, ...]
    identifiers: tuple[Identifier, ...]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "person_ids": list(self.person_ids),
            "identifiers": [str(i) for i in self.identifiers],
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Resolution:
    """The canonical person of one record and what resolving it changed."""

    person_id: str
    created: bool
    links: list[IdentityLink] = field(default_factory=list)
    merges: list[IdentityMerge] = field(default_factory=list)
    conflicts: list[IdentityConflict] = field(default_factory=list)


def from_person_block(
    *,
    iin: str | None,
    documents: Iterable[tuple[Any, ...]],
    names: Iterable[tuple[Any, ...]],
    birth_date: Any,
    citizenship: str | None,
) -> PersonIdentifiers:
    """Build from the tuples of a record's person block.

    ``documents`` are (type, issuing_state, number[, expiry]) and ``names`` are
    (script, surname, given_names[, patronymic]), as the record model keeps them.
    """
    docs = tuple([  # list comprehensions: cheaper than tuple(generator) per record
        Document(str(d[0]), str(d[1]), str(d[2]), None if len(d) < 4 or d[3] is None else str(d[3]))
        for d in documents
    ])
    person_names = tuple([
        PersonName(str(n[0]), str(n[1] or ""), str(n[2] or ""), None if len(n) < 4 else n[3])
        for n in names
    ])
    return PersonIdentifiers(
        iin=iin or None,
        documents=docs,
        names=person_names,
        birth_date=None if birth_date is None else str(birth_date),
        citizenship=citizenship or None,
    )
