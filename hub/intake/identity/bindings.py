"""Where the person registry keeps its bindings: pending writes, LRU caches, the store.

Reads go pending buffer -> LRU cache -> store; writes go into the pending batch
that :meth:`Bindings.flush` commits in one transaction. The resolution rules
that decide *what* to bind live in :mod:`hub.intake.identity.registry`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from hub.errors import IdentityRace
from hub.intake.identity.model import (
    Identifier,
    IdentityConflict,
    IdKind,
    PersonIdentifiers,
)
from hub.intake.identity.store import PersonRow, RegistryStore, WriteBatch
from hub.lru import LruCache
from hub.model.uuids import uuid5_text

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

def person_id_of(creating_identifier: str) -> str:
    """The id of the person an identifier's text creates (UUIDv5: replays give the same)."""
    return uuid5_text(PERSON_NAMESPACE, creating_identifier)


class Bindings:
    """Identifier and name bindings of persons, read through pending -> cache -> store."""

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
        #: strong identifiers the store did not hold when the page was prefetched
        self._absent_strong: set[str] = set()
        #: person ids a record of the page would create that the store did not hold
        self._absent_persons: set[str] = set()
        self._since_flush = 0
        self.resolutions = 0
        self._refresh_aliases()

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

    def prefetch(self, strong: Iterable[str], names: Iterable[str]) -> None:
        """Warm the caches for a page: its strong identifiers, name keys and their persons.

        Strong identifiers the store does not hold are remembered as absent until the
        next flush, so resolving the page asks the store nothing more for them (another
        writer binding one meanwhile is the race :meth:`flush` already settles). The
        person rows of the ids they name are read in one more query.
        """
        person_ids: set[str] = set()
        wanted = [
            s for s in dict.fromkeys(strong)
            if s not in self._p_strong and s not in self._absent_strong
            and self._strong.get(s) is None
        ]
        if wanted:
            found = self.store.get_strong(wanted)
            for ident, (pid, _q) in found.items():
                self._strong.put(ident, pid)
                person_ids.add(self.canonical(pid))
            self._absent_strong.update(s for s in wanted if s not in found)
        keys = [k for k in dict.fromkeys(names) if self._names.get(k) is None]
        if keys:  # caches the keys found and the absent ones alike
            person_ids.update(p for pids in self._lookup_names(keys).values() for p in pids)
        self._prefetch_persons(person_ids, set())

    def is_bound(self, ident: str) -> bool:
        """Whether a strong identifier is known bound (pending or cached), asking no one."""
        return ident in self._p_strong or ident in self._strong

    def prefetch_new_persons(self, person_ids: Iterable[str]) -> None:
        """Whether the ids a page's records would create exist, in one query: those the
        store lacks are remembered as absent until the next flush (as strong ids are)."""
        creating = set(person_ids)
        self._prefetch_persons(creating, creating)

    def _prefetch_persons(self, person_ids: set[str], creating: set[str]) -> None:
        rows = [
            p for p in person_ids
            if p not in self._p_persons and p not in self._absent_persons
            and self._persons.get(p) is None
        ]
        if rows:
            stored = self.store.get_persons(rows)
            for pid, row in stored.items():
                self._persons.put(pid, row)
            self._absent_persons.update(p for p in rows if p in creating and p not in stored)

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
            elif ident not in self._absent_strong:
                missing.append(ident)
        if missing:
            for ident, (pid, _q) in self.store.get_strong(missing).items():
                self._strong.put(ident, pid)
                found[ident] = pid
        if not self._alias:  # no merges known: every id is its own canonical id
            return found
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
        alias, pending = self._alias, self._p_names
        for key in keys:  # the common cases (no person, one, no merges) without a generator
            pids = [*found.get(key, ()), *pending.get(key, ())]
            if alias:
                pids = [self.canonical(p) if p in alias else p for p in pids]
            result[key] = tuple(dict.fromkeys(pids)) if len(pids) > 1 else tuple(pids)
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

    def _new_person(self, first: Identifier | None, ids: PersonIdentifiers) -> str:
        base = str(first) if first is not None else f"anonymous:{uuid.uuid4()}"
        pid = person_id_of(base)
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
        if person_id in self._absent_persons:  # not in the store at this page's prefetch
            return False
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

    def flush(self) -> None:
        """Commit everything resolved since the last flush in one transaction."""
        batch, self._pending = self._pending, WriteBatch(source=self.source)
        batch.source = self.source
        try:
            self.store.write(batch)
        except IdentityRace:
            # Nothing was written: forget this batch's resolutions and what was read
            # around them, so resolving the records again meets the other writer's person.
            for key, _pid in batch.names:
                self._names.pop(key)
            self.discard_pending()
            raise
        for ident, (pid, _q) in self._p_strong.items():
            self._strong.put(ident, pid)
        for pid, row in self._p_persons.items():
            self._persons.put(pid, row)
        for key in self._p_names:
            self._names.pop(key)  # re-read with the other writers' persons
        self._clear_unflushed()
        self._refresh_aliases()

    def _clear_unflushed(self) -> None:
        """The page-level views of what is not yet in the store."""
        self._p_strong.clear()
        self._absent_strong.clear()
        self._absent_persons.clear()
        self._p_names.clear()
        self._p_persons.clear()
        self._p_docs.clear()
        self._since_flush = 0

    def discard_pending(self) -> None:
        """Forget unflushed resolutions (the caller's transaction aborted)."""
        self._pending = WriteBatch(source=self.source)
        self._clear_unflushed()
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
