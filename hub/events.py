"""Event families and the routing of record types to them.

A record type belongs to exactly one event family (one Kafka topic each), and
maps to a *fact type* (the event type, ``family.fact``): the kind of real-world
fact it reports. Records of different agencies that report the same fact (an
interior border crossing and a partner's entry notice) share a fact type, so
they get the same event key.
"""

from __future__ import annotations

# record type (root element local name) -> (event family, fact type)
ROUTING: dict[str, tuple[str, str]] = {
    "BorderCrossing": ("border", "border.crossing"),
    "PartnerBorderNotice": ("border", "border.crossing"),
    "StayRegistration": ("residence", "residence.stay-registration"),
    "PartnerCitizenRegistration": ("residence", "residence.stay-registration"),
    "ResidencePermit": ("residence", "residence.permit"),
    "CitizenshipDecision": ("residence", "residence.citizenship-decision"),
    "WorkPermit": ("labour", "labour.work-permit"),
    "LabourQuota": ("labour", "labour.quota"),
    "KandasAdmission": ("labour", "labour.kandas-admission"),
    "KandasResettlement": ("labour", "labour.kandas-resettlement"),
    "AsylumApplication": ("asylum", "asylum.application"),
    "RefugeeStatusDecision": ("asylum", "asylum.refugee-status-decision"),
    "Violation": ("enforcement", "enforcement.violation"),
    "Deportation": ("enforcement", "enforcement.deportation"),
    "PartnerDeportationNotice": ("enforcement", "enforcement.deportation"),
    "EntryBan": ("enforcement", "enforcement.entry-ban"),
    "PartnerEntryBanNotice": ("enforcement", "enforcement.entry-ban"),
    "Observation": ("statistics", "statistics.observation"),
}


def family_of(record_type: str) -> str:
    return ROUTING[record_type][0]


def fact_of(record_type: str) -> str:
    return ROUTING[record_type][1]
