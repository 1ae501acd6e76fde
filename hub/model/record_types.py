"""The record-type table: what the hub knows about each kind of record, in one place.

Each row is one record type (the local name of a global element of a family XSD in
``schemas/catalog.xml``) with

* its event **family** (its Kafka topic, and through it the agencies that may read it:
  :mod:`hub.model.families`);
* the real-world **fact** it reports: records of different agencies that report the
  same fact (an interior border crossing and a partner's border notice) share the
  fact, hence the event type ``<family>.<fact>`` and the event key; the fact names the
  **key fields** that make it unique and whether it is **about a person** (a quota or an
  SDMX observation is about no one: its key has an empty person part);
* the element holding the **time it happened** (the event's ``OccurredAt``).

Every other table of record types is derived from this one (:data:`FAMILY_OF`,
:data:`FACTS`, :data:`FACT_KEYS`, :data:`PERSONLESS_FACTS`, :data:`OCCURRED_AT`).
Adding a record type is a row here (and, when it reports a fact no other type
reports, its :class:`Fact` above the rows) plus its XSD and examples:
``schemas/README.md``, "Adding a record type", says exactly what else.
``tests/unit/model/test_record_types.py`` fails when a record type of the catalog has no
row or a row has no element in any XSD.

Key field names are the record's element names (``schemas/{interior,labour,partner,
statistics}/v1``). A partner's border notice states direction and border point as
Kazakhstan's records do (the Kazakh checkpoint code, ENTRY into Kazakhstan), which is
how the partner schema and the agencies' simulator define it; its time may be in
another zone, so the minute is taken in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.model.families import readers_of
from hub.model.key_fields import KeyField, day, direction, key, minute, words


@dataclass(frozen=True, slots=True)
class Fact:
    """A kind of real-world fact: the fields that make one unique, in key order."""

    name: str
    key: tuple[KeyField, ...]
    #: False for aggregates (quotas, observations): their key has an empty person part
    about_person: bool = True


@dataclass(frozen=True, slots=True)
class RecordType:
    """One row: a record type, its event family, the fact it reports, when it happened."""

    name: str
    family: str
    fact: Fact
    occurred_at: str

    @property
    def event_type(self) -> str:
        """``border.border-crossing``, ``enforcement.deportation``, ..."""
        return f"{self.family}.{self.fact.name}"

    @property
    def readers(self) -> tuple[str, ...]:
        """The agencies' Kafka principals that may read its events (its family's topic)."""
        return readers_of(self.family)


# --- facts: each once, whichever record types report it ---------------------------------

BORDER_CROSSING = Fact("border-crossing", (
    key("border_point", "BorderPoint"),
    key("direction", "Direction", norm=direction),
    key("minute", "CrossedAt", norm=minute),
))
STAY_REGISTRATION = Fact("stay-registration", (key("kato", "Kato"), key("from", "From", norm=day)))
RESIDENCE_PERMIT = Fact("residence-permit", (key("permit", "PermitNumber"),))
_DECISION = (key("number", "DecisionNumber"), key("date", "DecisionDate", norm=day))
CITIZENSHIP_DECISION = Fact("citizenship-decision", _DECISION)
VIOLATION = Fact("violation", (key("case", "CaseNumber"),))
# A partner's notice of a deportation or entry ban carries its own case or ban number;
# what both reports share is the moment it was carried out (to the UTC minute, as
# crossings) or the ban's validity. A day alone was too weak: two deportations, or two
# partners' bans starting the same day, of one person became one event id
# (tests/unit/intake/identity/test_event_key_unique.py).
DEPORTATION = Fact("deportation", (key("executed", "ExecutedAt", norm=minute),))
ENTRY_BAN = Fact("entry-ban", (
    key("from", "ValidFrom", norm=day), key("to", "ValidTo", norm=day, required=False),
))
ASYLUM_APPLICATION = Fact("asylum-application", (key("application", "ApplicationNumber"),))
REFUGEE_DECISION = Fact("refugee-status-decision", _DECISION)
# Issue and revocation of one permit are two facts.
WORK_PERMIT = Fact("work-permit", (key("permit", "PermitNumber"), key("action", "Action",
                                                                     norm=words)))
# One quota decision: a later decision for the same region, sector, category and year (a
# revision) is a fact of its own, told apart by its decision date.
LABOUR_QUOTA = Fact("labour-quota", (
    key("kato", "Kato"),
    key("sector", "Sector", norm=words),
    key("category", "Category", norm=words, required=False),
    key("year", "Year"),
    key("decided", "DecisionDate", norm=day),
), about_person=False)
# The kandas quota of a region and year, as the labour quota: a revision is a decision of
# its own, told apart by its date (the statistics take the latest).
KANDAS_QUOTA = Fact("kandas-quota", (
    key("kato", "Kato"), key("year", "QuotaYear"), key("decided", "DecisionDate", norm=day),
), about_person=False)
KANDAS_ADMISSION = Fact("kandas-admission", (key("decision", "DecisionNumber"),))
KANDAS_RESETTLEMENT = Fact("kandas-resettlement", (key("certificate", "CertificateNumber"),))
# Registration of a partner's citizen in the partner state: no interior twin.
PARTNER_REGISTRATION = Fact("partner-registration", (
    key("state", "PartnerState"),
    key("from", "From", norm=day),
    key("to", "To", norm=day, required=False),
))
# SDMX observations are keyed by their series and period.
STATISTICS_OBSERVATION = Fact("statistics-observation", (
    key("dataflow", "Dataflow", norm=words),
    key("series", "SeriesKey", norm=words),
    key("period", "Period", norm=words),
), about_person=False)

# --- the rows: one per record type ------------------------------------------------------

RECORD_TYPES: tuple[RecordType, ...] = (
    #          record type (XSD root)       family         fact                    occurred at
    RecordType("BorderCrossing",             "border",      BORDER_CROSSING,        "CrossedAt"),
    RecordType("PartnerBorderNotice",        "border",      BORDER_CROSSING,        "CrossedAt"),
    RecordType("StayRegistration",           "residence",   STAY_REGISTRATION,      "From"),
    RecordType("ResidencePermit",            "residence",   RESIDENCE_PERMIT,       "DecisionDate"),
    RecordType("CitizenshipDecision",        "residence",   CITIZENSHIP_DECISION,   "DecisionDate"),
    RecordType("PartnerCitizenRegistration", "residence",   PARTNER_REGISTRATION,   "From"),
    RecordType("Violation",                  "enforcement", VIOLATION,              "DetectedAt"),
    RecordType("Deportation",                "enforcement", DEPORTATION,            "DecisionDate"),
    RecordType("PartnerDeportationNotice",   "enforcement", DEPORTATION,            "DecisionDate"),
    RecordType("EntryBan",                   "enforcement", ENTRY_BAN,              "DecisionDate"),
    RecordType("PartnerEntryBanNotice",      "enforcement", ENTRY_BAN,              "DecisionDate"),
    RecordType("AsylumApplication",          "asylum",      ASYLUM_APPLICATION,     "LodgedOn"),
    RecordType("RefugeeStatusDecision",      "asylum",      REFUGEE_DECISION,       "DecisionDate"),
    RecordType("WorkPermit",                 "labour",      WORK_PERMIT,            "DecisionDate"),
    RecordType("LabourQuota",                "labour",      LABOUR_QUOTA,           "DecisionDate"),
    RecordType("KandasQuota",                "labour",      KANDAS_QUOTA,           "DecisionDate"),
    RecordType("KandasAdmission",            "labour",      KANDAS_ADMISSION,       "DecisionDate"),
    RecordType("KandasResettlement",         "labour",      KANDAS_RESETTLEMENT,    "ArrivedOn"),
    RecordType("Observation",                "statistics",  STATISTICS_OBSERVATION, "Period"),
)

# --- derived: what the stages look up per record ----------------------------------------

RECORD_TYPE: dict[str, RecordType] = {r.name: r for r in RECORD_TYPES}
#: record type -> event family (its topic)
FAMILY_OF: dict[str, str] = {r.name: r.family for r in RECORD_TYPES}
#: record type -> fact. Partner notices map onto the interior's fact.
FACTS: dict[str, str] = {r.name: r.fact.name for r in RECORD_TYPES}
#: fact -> the fields that make it unique (the specification of event keys)
FACT_KEYS: dict[str, tuple[KeyField, ...]] = {r.fact.name: r.fact.key for r in RECORD_TYPES}
#: facts about no one person (aggregates): their key has an empty person part
PERSONLESS_FACTS: frozenset[str] = frozenset(
    r.fact.name for r in RECORD_TYPES if not r.fact.about_person
)
#: record type -> the element that holds the time of the fact (the event's OccurredAt)
OCCURRED_AT: dict[str, str] = {r.name: r.occurred_at for r in RECORD_TYPES}

#: The hub's own event envelope (``urn:kz:mhub:event:1``): a global element of the catalog
#: that ``mhub validate`` checks (its examples ship too), never a record an agency submits.
EVENT_ENVELOPE = "Event"
#: Global elements of the catalog that are no record type: the envelope, and the common
#: namespace's shared ``Person`` block.
NOT_RECORD_TYPES = frozenset({EVENT_ENVELOPE, "Person"})


def family_of(record_type: str) -> str:
    return FAMILY_OF[record_type]


def event_type_of(record_type: str) -> str:
    """``border.border-crossing``, ``enforcement.deportation``, ..."""
    return RECORD_TYPE[record_type].event_type
