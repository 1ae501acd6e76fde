"""Event keys that survive identity merges: a fact keeps the person id of its first report.

An event key holds a person id (``fact/v1|person|…``). When the registry later
merges person A into B, a new report of a fact first published under A
resolves to B; keyed by B it would get a second event id, and every consumer
would see one fact twice. So the key person of a record is:

* the canonical person, unless that person has absorbed others;
* else the first of (canonical, then absorbed ids in sorted order) whose key
  the registry has already seen (``fact_keys`` table: event id -> key person);
* else the canonical person.

Every later report of a fact therefore keeps its event id, and no two facts
share one: each key still names one person of the merged cluster and the
fact's own fields. Keys are remembered only for records without an IIN: a
person holding an IIN is always the survivor of a merge (registry rule), so
keys made with it never need looking up. The candidate is routed (intake
partition) by the key person, so stage 2 decides it in the partition that
holds the fact's first report.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.intake.identity.event_key import event_id_text, event_key
from hub.intake.identity.registry import PersonRegistry


class FactKeys:
    """Chooses each record's key person and remembers keys until the registry flushes."""

    def __init__(self, registry: PersonRegistry, *, enabled: bool = True) -> None:
        self.registry = registry
        #: False gives the old behaviour (always the canonical id), for comparisons
        self.enabled = enabled
        self._pending: dict[str, str] = {}

    def key(
        self, record_type: str, person_id: str, fields: Mapping[str, str], *, has_iin: bool
    ) -> tuple[str, str, str]:
        """(event key, event id, key person) of one record resolved to ``person_id``."""
        key = event_key(record_type, person_id, fields)
        eid = event_id_text(key)
        if not person_id or not self.enabled:
            return key, eid, person_id
        absorbed = self.registry.absorbed(person_id)
        chosen = (key, eid, person_id)
        if absorbed:
            options = [chosen]
            for alias in sorted(absorbed):
                k = event_key(record_type, alias, fields)
                options.append((k, event_id_text(k), alias))
            known = self._known([o[1] for o in options])
            chosen = next((o for o in options if o[1] in known), chosen)
        if not has_iin or chosen[2] != person_id:
            self._pending.setdefault(chosen[1], chosen[2])
        return chosen

    def _known(self, event_ids: list[str]) -> set[str]:
        found = {e for e in event_ids if e in self._pending}
        return found | set(self.registry.store.get_fact_keys(event_ids))

    def flush(self) -> None:
        """Hand the remembered keys to the registry's next write, then flush it."""
        if self._pending:
            self.registry.stage_fact_keys(self._pending.items())
            self._pending = {}
        self.registry.flush()

    def discard_pending(self) -> None:
        self._pending = {}
