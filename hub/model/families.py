"""The event families: one Kafka topic each, and who may read it.

Every record type belongs to exactly one event family (its row in
:mod:`hub.model.record_types`); the family is its topic (``mhub.events.<family>``,
``hub.kafka.topics``). Not the source families (``hub.sources.SOURCE_FAMILIES``): an
interior source sends border, residence, enforcement and asylum records.

``readers`` are the agencies' Kafka principals entitled to the family's topic (law on
the exchange of migration data), as ``infra/production/kafka/acls.sh`` grants them
(``entitled USER FAMILY...``; ``tests/unit/model/test_record_types.py`` holds the two
together); ``mhub events`` prints them in ``docs/events.md``. The hub's own principals
read by job, not by entitlement: the partner gateway every family, the statistics
bureau's feed the families about persons, the reports the families the statistics
count (``hub.statistics.definitions.FAMILIES``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Family:
    """One event family: its name (= topic suffix), whether its records are about persons
    (a record type without a person, as a quota, says so in its own row), and the agencies'
    principals that read its topic."""

    name: str
    about_persons: bool
    readers: tuple[str, ...]


#: The interior ministry (migration police, border service) and the labour ministry.
MVD, ENBEK = "mvd", "enbek"

FAMILIES: tuple[Family, ...] = (
    Family("border", about_persons=True, readers=(MVD,)),
    Family("residence", about_persons=True, readers=(MVD, ENBEK)),
    Family("labour", about_persons=True, readers=(ENBEK,)),
    Family("asylum", about_persons=True, readers=(MVD,)),
    Family("enforcement", about_persons=True, readers=(MVD,)),
    # Aggregate observations (the bureau's own SDMX coming back): the hub's reports read
    # them; the bureau itself reads its pseudonymised feed instead (docs/statistics-feed.md).
    Family("statistics", about_persons=False, readers=()),
)

FAMILY: dict[str, Family] = {f.name: f for f in FAMILIES}
#: the event families, one Kafka topic each, in the table's order
EVENT_FAMILIES: tuple[str, ...] = tuple(FAMILY)
#: the families whose records are about persons (statistics are aggregate observations):
#: what the statistics bureau's pseudonymised feed reads (hub/deliver/bureau_feed.py)
PERSON_FAMILIES: tuple[str, ...] = tuple(f.name for f in FAMILIES if f.about_persons)


def readers_of(family: str) -> tuple[str, ...]:
    """The agencies' principals entitled to a family's topic."""
    return FAMILY[family].readers
