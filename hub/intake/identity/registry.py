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
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Generic, TypeVar

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
from hub.intake.identity.store import PersonRow, RegistryStore, WriteBatch, open_store

#: Namespace of person ids (UUIDv5 of the creating identifier) = uuid5(NAMESPACE_URL,
#: "urn:kz:mhub:person"). Fixed forever:
#: changing it would give every person a new id.
PERSON_NAMESPACE = uuid.UUID("d75d9d44-4ad1-508e-8cb9-cc35b32714ed")

#: Resolutions between automatic commits: large enough that executemany
#: amortises the transaction, small enough that a crash loses little.
DEFAULT_FLUSH_EVERY = 5_000
#: Cached identifier -> person entries. At ~200 B each, 200k entries is ~40 MB
#: and covers the recurring people of a day's feed.
DEFAULT_CACHE_SIZE = 200_000

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A plain LRU map; ``get`` refreshes, ``put`` evicts the least recently used."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._data: OrderedDict[K, V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        try:
            value = self._data[key]
        except KeyError:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)


class PersonRegistry:
    """Resolves identifiers to canonical person ids over a :class:`RegistryStore`."""

    def __init__(
        self,
        store: RegistryStore,
        *,
        flush_every: int = DEFAULT_FLUSH_EVERY,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self.store = store
        self.flush_every = flush_every
        self._strong = LruCache[str, str](cache_size)
        self._names = LruCache[str, tuple[str, ...]](cache_size)
        self._persons = LruCache[str, PersonRow](cache_size)
        self._alias: dict[str, str] = {}
        self._absorbed_by: dict[str, set[str]] = {}  # survivor -> ids aliased to it
        self._merge_seq = 0
        #: the stage-1 source this registry resolves for: its merges are re-sent by it
        self.source = ""
        self._pending = WriteBatch()
        self._p_strong: dict[str, tuple[str, str]] = {}
        self._p_names: dict[str, list[str]] = {}
        self._p_persons: dict[str, PersonRow] = {}
        self._p_docs: dict[str, list[tuple[str, str]]] = {}
        self._since_flush = 0
        self.resolutions = 0
        self._refresh_aliases()

    @classmethod
    def open(cls, url: str | Path, **kwargs: int) -> PersonRegistry:
        """A registry on an SQLite file path or a ``postgresql://`` URL."""
        return cls(open_store(url), **kwargs)

    # --- reads through pending -> cache -> store ---------------------------------

    def canonical(self, person_id: str) -> str:
        """The surviving id of a person (itself unless merged away)."""
        seen = 0
        while person_id in self._alias:
            person_id = self._alias[person_id]
            seen += 1
            if seen > 64:  # a cycle would mean corrupt merge records
                break
        return person_id

    def absorbed(self, person_id: str) -> frozenset[str]:
        """Every id merged into ``person_id`` (empty for almost every person)."""
        return frozenset(self._absorbed_by.get(person_id, ()))

    def stage_fact_keys(self, rows: Iterable[tuple[str, str]]) -> None:
        """(event id, key person) rows to write with the next flush (identity.fact_keys)."""
        self._pending.fact_keys.extend(rows)

    def _lookup_strong(self, idents: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        missing: list[str] = []
        for ident in idents:
            pending = self._p_strong.get(ident)
            if pending is not None:
                found[ident] = pending[0]
                continue
            cached = self._strong.get(ident)
            if cached is not None:
                found[ident] = cached
            else:
                missing.append(ident)
        if missing:
            for ident, (pid, _q) in self.store.get_strong(missing).items():
                self._strong.put(ident, pid)
                found[ident] = pid
        return {ident: self.canonical(pid) for ident, pid in found.items()}

    def _lookup_names(self, keys: list[str]) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        missing: list[str] = []
        for key in keys:
            cached = self._names.get(key)
            if cached is not None:
                found[key] = cached
            else:
                missing.append(key)
        if missing:
            stored = self.store.get_names(missing)
            for key in missing:
                value = tuple(stored.get(key, ()))
                self._names.put(key, value)  # negative entries too: most keys are new
                found[key] = value
        result: dict[str, tuple[str, ...]] = {}
        for key in keys:
            pids = [*found.get(key, ()), *self._p_names.get(key, ())]
            result[key] = tuple(dict.fromkeys(self.canonical(p) for p in pids))
        return result

    def _person(self, person_id: str) -> PersonRow:
        row = self._p_persons.get(person_id) or self._persons.get(person_id)
        if row is None:
            row = self.store.get_persons([person_id]).get(person_id)
            if row is None:
                row = PersonRow(person_id, None, None)
            self._persons.put(person_id, row)
        return row

    def _documents(self, person_id: str) -> dict[tuple[str, str], str]:
        """(type, state) -> number of the documents a person holds (stored and pending)."""
        held: dict[tuple[str, str], str] = {}
        pending = self._p_docs.get(person_id, [])
        for qualifier, ident in [*self.store.get_documents(person_id), *pending]:
            _doc, state, number = ident.split(":", 2)
            held.setdefault((qualifier, state), number)
        return held

    # --- writes into the pending batch ----------------------------------------------

    def _new_person(self, first: Identifier | None, ids: PersonIdentifiers) -> str:
        base = str(first) if first is not None else f"anonymous:{uuid.uuid4()}"
        pid = str(uuid.uuid5(PERSON_NAMESPACE, base))
        n = 1
        while self._exists(pid):  # only if the creating identifier was lost to a conflict
            n += 1
            pid = str(uuid.uuid5(PERSON_NAMESPACE, f"{base}#{n}"))
        row = PersonRow(pid, ids.iin, ids.birth_date)
        self._p_persons[pid] = row
        self._pending.new_persons.append(row)
        return pid

    def _exists(self, person_id: str) -> bool:
        if person_id in self._p_persons or self._persons.get(person_id) is not None:
            return True
        return bool(self.store.get_persons([person_id]))

    def _bind_strong(self, ident: Identifier, person_id: str, qualifier: str) -> None:
        text = str(ident)
        self._p_strong[text] = (person_id, qualifier)
        self._pending.strong.append((text, person_id, qualifier))
        if ident.kind is IdKind.DOCUMENT:
            self._p_docs.setdefault(person_id, []).append((qualifier, text))

    def _bind_name(self, key: str, person_id: str) -> None:
        self._p_names.setdefault(key, []).append(person_id)
        self._pending.names.append((key, person_id))

    def _learn(self, person_id: str, ids: PersonIdentifiers) -> None:
        """Record an IIN or birth date the person did not have yet."""
        row = self._person(person_id)
        iin = row.iin or ids.iin
        dob = row.birth_date or ids.birth_date
        if (iin, dob) != (row.iin, row.birth_date):
            new = PersonRow(person_id, iin, dob, row.merged_into)
            self._p_persons[person_id] = new
            self._pending.person_updates.append(new)

    def _review(self, conflict: IdentityConflict) -> None:
        self._pending.reviews.append(
            (
                conflict.kind.value,
                json.dumps(list(conflict.person_ids)),
                json.dumps([str(i) for i in conflict.identifiers]),
                conflict.detail,
            )
        )

    # --- resolution ----------------------------------------------------------------

    def resolve(self, ids: PersonIdentifiers) -> Resolution:
        """The canonical person of one record; links, merges and conflicts it caused."""
        strong = ids.strong_identifiers()
        names = ids.name_keys()
        bound = self._lookup_strong([str(i) for i in strong])
        persons = list(dict.fromkeys(bound[str(i)] for i in strong if str(i) in bound))
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
            for ident in strong:
                if str(ident) not in bound:
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

    def resolve_many(self, batch: Iterable[PersonIdentifiers]) -> list[Resolution]:
        return [self.resolve(ids) for ids in batch]

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

    # --- durability --------------------------------------------------------------------

    def flush(self) -> None:
        """Commit everything resolved since the last flush in one transaction."""
        batch, self._pending = self._pending, WriteBatch(source=self.source)
        batch.source = self.source
        lost = self.store.write(batch)
        for ident, (pid, _q) in self._p_strong.items():
            self._strong.put(ident, pid)
        for pid, row in self._p_persons.items():
            self._persons.put(pid, row)
        for key in self._p_names:
            self._names.pop(key)  # re-read with the other writers' persons
        for ident in lost:
            self._strong.pop(ident)  # another writer bound it first: trust the store
        self._p_strong.clear()
        self._p_names.clear()
        self._p_persons.clear()
        self._p_docs.clear()
        self._since_flush = 0
        self._refresh_aliases()

    def discard_pending(self) -> None:
        """Forget unflushed resolutions (the caller's transaction aborted)."""
        self._pending = WriteBatch(source=self.source)
        self._p_strong.clear()
        self._p_names.clear()
        self._p_persons.clear()
        self._p_docs.clear()
        self._since_flush = 0
        self._alias.clear()
        self._absorbed_by.clear()
        self._merge_seq = 0
        self._persons = LruCache[str, PersonRow](self._persons.capacity)
        self._refresh_aliases()

    def _refresh_aliases(self) -> None:
        for seq, survivor, absorbed in self.store.merges_since(self._merge_seq):
            self._absorb_alias(survivor, absorbed)
            self._merge_seq = seq

    def _absorb_alias(self, survivor: str, absorbed: str) -> None:
        moved = self._absorbed_by.pop(absorbed, set())
        for alias in moved:
            self._alias[alias] = survivor
        self._alias[absorbed] = survivor
        self._absorbed_by.setdefault(survivor, set()).update(moved, (absorbed,))

    def reviews(self) -> list[dict[str, object]]:
        """The review table (conflicts recorded for a human), oldest first."""
        return self.store.reviews()

    def close(self) -> None:
        self.flush()
        self.store.close()

    def __enter__(self) -> PersonRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
