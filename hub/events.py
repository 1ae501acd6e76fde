"""Event families and the routing of record types to them.

A record type belongs to exactly one event family (one Kafka topic each), and
maps to a *fact type*: the kind of real-world fact it reports. Records of
different agencies that report the same fact (an interior border crossing and a
partner's entry notice) share a fact type, so they get the same event key.
"""

from __future__ import annotations

# record type (root element local name) -> (event family, fact type)
ROUTING: dict[str, tuple[str, str]] = {
    "BorderCrossing": ("border", "border-crossing"),
    "PartnerBorderNotice": ("border", "border-crossing"),
    "StayRegistration": ("residence", "stay-registration"),
    "PartnerCitizenRegistration": ("residence", "stay-registration"),
    "ResidencePermit": ("residence", "residence-permit"),
    "CitizenshipDecision": ("residence", "citizenship-decision"),
    "WorkPermit": ("labour", "work-permit"),
    "LabourQuota": ("labour", "labour-quota"),
    "KandasAdmission": ("labour", "kandas-admission"),
    "KandasResettlement": ("labour", "kandas-resettlement"),
    "AsylumApplication": ("asylum", "asylum-application"),
    "RefugeeStatusDecision": ("asylum", "refugee-status-decision"),
    "Violation": ("enforcement", "violation"),
    "Deportation": ("enforcement", "deportation"),
    "PartnerDeportationNotice": ("enforcement", "deportation"),
    "EntryBan": ("enforcement", "entry-ban"),
    "PartnerEntryBanNotice": ("enforcement", "entry-ban"),
    "Observation": ("statistics", "statistics-observation"),
}


def family_of(record_type: str) -> str:
    return ROUTING[record_type][0]


def fact_of(record_type: str) -> str:
    return ROUTING[record_type][1]
