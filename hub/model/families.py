"""Event families and the routing of record types to them.

A record type belongs to exactly one event family (one Kafka topic each). Its
event type is ``<family>.<fact>``, where the fact (``hub.intake.identity.event_key``)
is the kind of real-world fact it reports: records of different agencies that
report the same fact (an interior border crossing and a partner's entry
notice) share the fact, and so the event key and the event type.
"""

from __future__ import annotations

from hub.intake.identity.event_key import fact_of

# The event families, one Kafka topic each (hub.kafka.topics); every record type
# maps to exactly one (FAMILY_OF). Not the source families (hub.sources.SOURCE_FAMILIES).
EVENT_FAMILIES = ("border", "residence", "labour", "asylum", "enforcement", "statistics")
# The families whose events are about one person (statistics are aggregate observations):
# what the statistics bureau's pseudonymised feed carries (hub/deliver/bureau_feed.py).
PERSON_FAMILIES = ("border", "residence", "labour", "asylum", "enforcement")

# record type (root element local name) -> event family
FAMILY_OF: dict[str, str] = {
    "BorderCrossing": "border",
    "PartnerBorderNotice": "border",
    "StayRegistration": "residence",
    "PartnerCitizenRegistration": "residence",
    "ResidencePermit": "residence",
    "CitizenshipDecision": "residence",
    "WorkPermit": "labour",
    "LabourQuota": "labour",
    "KandasQuota": "labour",
    "KandasAdmission": "labour",
    "KandasResettlement": "labour",
    "AsylumApplication": "asylum",
    "RefugeeStatusDecision": "asylum",
    "Violation": "enforcement",
    "Deportation": "enforcement",
    "PartnerDeportationNotice": "enforcement",
    "EntryBan": "enforcement",
    "PartnerEntryBanNotice": "enforcement",
    "Observation": "statistics",
}


def family_of(record_type: str) -> str:
    return FAMILY_OF[record_type]


def event_type_of(record_type: str) -> str:
    """``border.border-crossing``, ``enforcement.deportation``, ..."""
    return f"{FAMILY_OF[record_type]}.{fact_of(record_type)}"
