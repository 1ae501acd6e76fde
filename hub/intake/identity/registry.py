"""The person registry: every identifier a record carries resolves to one canonical person.

Rules, in the order :meth:`PersonRegistry.resolve` applies them:

1. Strong identifiers (IIN; document number + issuing state) are looked up.
   * none bound: the weak name key (surname + first given name + birth date +
     citizenship, spelling-folded by :func:`~hub.intake.identity.translit.match_key`)
     may find the person, but only one that carries no *different* IIN and no
     other document of the same type and state; namesakes are flagged
     (``name-key-collision``), never joined; if it fits several persons none is
     guessed (``name-key-ambiguous``). Otherwise a new person is created.
   * one person: the record's new identifiers are linked to it, unless the
     record contradicts it (another IIN, another birth date): then nothing is
     linked and a conflict is recorded for review.
   * several persons (each identifier seen alone before): if their IINs and
     birth dates agree they are merged, the survivor being the holder of the
     IIN (else the smallest id) so replays choose the same; otherwise a
     ``strong-ids-disagree`` conflict is recorded and nothing merges.
2. Weak evidence never merges two existing persons.

Person ids are UUIDv5 of the identifier that created the person (IIN before
document before name key), so resolving the same records again after a crash
that lost unflushed registry writes gives the same ids.

Writes are buffered and committed together by :meth:`PersonRegistry.flush`
(every ``flush_every`` resolutions, or when the caller commits its own
transaction); reads go pending buffer -> LRU cache -> store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from hub.intake.identity.bindings import Bindings, person_id_of
from hub.intake.identity.model import (
    ConflictKind,
    Identifier,
    IdentityConflict,
    IdentityLink,
    IdentityMerge,
    IdKind,
    PersonIdentifiers,
    Resolution,
)
from hub.intake.identity.store import PersonRow, open_store


class PersonRegistry(Bindings):
    """Resolves identifiers to canonical person ids over a :class:`RegistryStore`."""

    @classmethod
    def open(cls, url: str | Path, **kwargs: int) -> PersonRegistry:
        """A registry on an SQLite file path or a ``postgresql://`` URL."""
        return cls(open_store(url), **kwargs)

    def resolve(self, ids: PersonIdentifiers) -> Resolution:
        """The canonical person of one record; links, merges and conflicts it caused."""
        return self._resolve(ids, ids.strong_identifiers(), ids.name_keys())

    def resolve_many(self, batch: Iterable[PersonIdentifiers]) -> list[Resolution]:
        """A page's persons, in order, after warming the caches in two store queries.

        One query for all the page's strong identifiers and one for its name keys,
        instead of two or three per record: the registry's share of stage 1 halves.
        """
        work = [
            (ids, strong, ids.name_keys(), [str(i) for i in strong])
            for ids in batch
            for strong in (ids.strong_identifiers(),)
        ]
        self.prefetch(
            (k for *_rest, keys in work for k in keys),
            (n.value for _ids, _strong, names, _keys in work for n in names),
        )
        # The id each record none of whose identifiers is bound would create (see
        # _new_person), all in one query instead of one per new person.
        self.prefetch_new_persons(
            person_id_of(keys[0] if keys else str(names[0]))
            for _ids, _strong, names, keys in work
            if (keys or names) and not any(self.is_bound(k) for k in keys)
        )
        return [self._resolve(ids, strong, names, keys) for ids, strong, names, keys in work]

    def _resolve(
        self,
        ids: PersonIdentifiers,
        strong: list[Identifier],
        names: list[Identifier],
        keys: list[str] | None = None,
    ) -> Resolution:
        if keys is None:
            keys = [str(i) for i in strong]  # each identifier's text, made once per record
        bound = self._lookup_strong(keys)
        persons = list(dict.fromkeys(bound[k] for k in keys if k in bound))
        links: list[IdentityLink] = []
        merges: list[IdentityMerge] = []
        conflicts: list[IdentityConflict] = []
        created = False

        if not persons:
            found = self._by_name(ids, names, conflicts)
            if found is None:
                pid = self._new_person(strong[0] if strong else (names[0] if names else None), ids)
                created, via = True, "new-person"
            else:
                pid, via = found, "name-key"
            link_ok = True
        elif len(persons) == 1:
            pid, via = persons[0], "same-record"
            link_ok = self._fits(pid, ids, strong, bound, conflicts)
        else:
            pid, link_ok = self._merge(persons, ids, strong, bound, merges, conflicts)
            via = "same-record"

        if link_ok:
            qualifiers = {d.identifier: d.type.upper() for d in ids.documents}
            for ident, key in zip(strong, keys, strict=True):
                if key not in bound:
                    self._bind_strong(ident, pid, qualifiers.get(ident, ""))
                    links.append(IdentityLink(pid, ident, via))
            name_hits = self._lookup_names([n.value for n in names])
            for name in names:
                if pid not in name_hits[name.value]:
                    self._bind_name(name.value, pid)
                    links.append(IdentityLink(pid, name, via))
            if not created:
                self._learn(pid, ids)
        for conflict in conflicts:
            self._review(conflict)

        self.resolutions += 1
        self._since_flush += 1
        if self._since_flush >= self.flush_every:
            self.flush()
        return Resolution(pid, created, links, merges, conflicts)

    def _by_name(
        self, ids: PersonIdentifiers, names: list[Identifier], conflicts: list[IdentityConflict]
    ) -> str | None:
        """The one person the weak key safely designates, or None (namesakes stay apart)."""
        if not names:
            return None
        hits = self._lookup_names([n.value for n in names])
        candidates = list(dict.fromkeys(p for n in names for p in hits[n.value]))
        if not candidates:
            return None
        mine = ids.document_classes()
        compatible: list[str] = []
        namesakes: list[str] = []
        for pid in candidates:
            row = self._person(pid)
            if ids.iin and row.iin and row.iin != ids.iin:
                namesakes.append(pid)
                continue
            if mine and any(
                mine.get(cls, number) != number for cls, number in self._documents(pid).items()
            ):
                namesakes.append(pid)
                continue
            compatible.append(pid)
        if namesakes:
            conflicts.append(
                IdentityConflict(
                    ConflictKind.NAME_KEY_COLLISION,
                    tuple(namesakes),
                    tuple(names),
                    "same name key, birth date and citizenship but another IIN or document",
                )
            )
        if len(compatible) > 1:
            # Which namesake is it? Guessing could join two people; a new person
            # costs only a later merge once a strong identifier links it.
            conflicts.append(
                IdentityConflict(
                    ConflictKind.NAME_KEY_AMBIGUOUS,
                    tuple(compatible),
                    tuple(names),
                    f"name key matches {len(compatible)} persons; none chosen",
                )
            )
            return None
        return compatible[0] if compatible else None

    def _fits(
        self,
        pid: str,
        ids: PersonIdentifiers,
        strong: list[Identifier],
        bound: dict[str, str],
        conflicts: list[IdentityConflict],
    ) -> bool:
        """Whether the record may add its identifiers to the one person its strong ids found."""
        row = self._person(pid)
        iin_ident = Identifier(IdKind.IIN, ids.iin.strip()) if ids.iin else None
        if iin_ident and str(iin_ident) not in bound and row.iin and row.iin != iin_ident.value:
            conflicts.append(
                IdentityConflict(
                    ConflictKind.DOCUMENT_IIN_MISMATCH,
                    (pid,),
                    tuple(strong),
                    f"document belongs to a person with IIN {row.iin}, record says {ids.iin}",
                )
            )
            return False
        if ids.birth_date and row.birth_date and ids.birth_date != row.birth_date:
            conflicts.append(
                IdentityConflict(
                    ConflictKind.BIRTH_DATE_MISMATCH,
                    (pid,),
                    tuple(i for i in strong if str(i) in bound),
                    f"person born {row.birth_date}, record says {ids.birth_date}",
                )
            )
            return False
        return True

    def _merge(
        self,
        persons: list[str],
        ids: PersonIdentifiers,
        strong: list[Identifier],
        bound: dict[str, str],
        merges: list[IdentityMerge],
        conflicts: list[IdentityConflict],
    ) -> tuple[str, bool]:
        """Merge persons found by one record's strong ids if nothing contradicts it."""
        rows = [self._person(p) for p in persons]
        iins = {r.iin for r in rows if r.iin} | ({ids.iin.strip()} if ids.iin else set())
        dobs = {r.birth_date for r in rows if r.birth_date} | (
            {ids.birth_date} if ids.birth_date else set()
        )
        evidence = tuple(i for i in strong if str(i) in bound)
        if len(iins) > 1 or len(dobs) > 1:
            kind = ConflictKind.STRONG_IDS_DISAGREE
            if len(iins) <= 1:
                kind = ConflictKind.BIRTH_DATE_MISMATCH
            conflicts.append(
                IdentityConflict(
                    kind,
                    tuple(persons),
                    evidence,
                    f"one record's identifiers belong to {len(persons)} persons with"
                    f" IINs {sorted(iins)} and birth dates {sorted(dobs)}",
                )
            )
            return persons[0], False
        survivor = min(rows, key=lambda r: (r.iin is None, r.person_id)).person_id
        for absorbed in persons:
            if absorbed == survivor:
                continue
            self._absorb(survivor, absorbed)
            merges.append(IdentityMerge(survivor, absorbed, evidence))
            self._pending.merges.append(
                (survivor, absorbed, json.dumps([str(i) for i in evidence]))
            )
        return survivor, True

    def _absorb(self, survivor: str, absorbed: str) -> None:
        """Point the absorbed person (and anything already aliased to it) at the survivor."""
        self._absorb_alias(survivor, absorbed)
        # Keep what the survivor learns from the absorbed person.
        a, s = self._person(absorbed), self._person(survivor)
        merged = PersonRow(survivor, s.iin or a.iin, s.birth_date or a.birth_date)
        if merged != s:
            self._p_persons[survivor] = merged
            self._pending.person_updates.append(merged)
        for entry in self._p_docs.pop(absorbed, []):
            self._p_docs.setdefault(survivor, []).append(entry)

    def __enter__(self) -> PersonRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
