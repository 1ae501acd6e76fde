"""The validate stage's contract as data: every rule id, and the tables the rules read.

Rule ids are stable (agencies look them up in ``schemas/docs/rules.md``, generated
from :data:`RULES`); the element tables say which fields carry dates, countries,
KATO codes and BINs in every family.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.model.record_types import EVENT_ENVELOPE
from hub.model.record_types import OCCURRED_AT as RECORD_OCCURRED_AT


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    summary: str


def _rules(*items: tuple[str, str]) -> dict[str, Rule]:
    return {rid: Rule(rid, text) for rid, text in items}


#: Every rule id the validate stage can report, with its meaning (the documented contract).
RULES: dict[str, Rule] = _rules(
    ("xml.malformed", "the bytes are not well-formed XML"),
    ("xml.dtd", "a DOCTYPE or entity declaration is present; DTDs and entities are refused"),
    ("xml.too-large", "the document is larger than the hub accepts"),
    ("xml.too-deep", "elements are nested deeper than the hub accepts"),
    ("xml.encoding", "the declared encoding cannot be read"),
    ("xml.xinclude", "an XInclude element is present; inclusion is refused"),
    ("xml.too-many-nodes", "the document has more markup than the hub accepts"),
    (
        "xml.too-many-attributes",
        "an element (or the document) has more attributes than the hub accepts",
    ),
    (
        "schema.unknown-namespace",
        "the root's namespace (family or version) has no schema in the catalog",
    ),
    ("schema.unknown-record", "the root element is not a record type of its namespace"),
    (
        "schema.sdmx-validated-elsewhere",
        "an SDMX-ML message: SDMX is parsed and checked by the statistics connector, which passes "
        "each observation on as a urn:kz:mhub:statistics:1 Observation record",
    ),
    (
        "findings.truncated",
        "a record had more findings than the hub reports (the first 100); this one counts the rest",
    ),
    ("xsd.element-content", "an element is missing, unexpected or out of order"),
    ("xsd.missing-attribute", "a required attribute is missing"),
    ("xsd.unexpected-attribute", "an attribute is not allowed here"),
    ("xsd.pattern", "a value does not match the lexical pattern of its type"),
    ("xsd.enumeration", "a value is not one of the allowed codes"),
    ("xsd.length", "a value is too short or too long"),
    ("xsd.range", "a number is out of range or has too many digits"),
    ("xsd.datatype", "a value is not of its type (date, integer, ...)"),
    ("xsd.unexpected-content", "text or children where the type allows none"),
    ("xsd.wildcard", "an element in an extension slot has no declaration"),
    ("xsd.invalid", "any other XSD validity error (the message carries libxml2's reason)"),
    ("iin.century-digit", "the 7th IIN digit (century and sex) is not 1-6"),
    ("iin.date", "the IIN's first six digits with its century digit are not a real date"),
    ("iin.check-digit", "the IIN's check digit is wrong (or the number can never be issued)"),
    ("iin.birth-date-mismatch", "the birth date encoded in the IIN differs from BirthDate"),
    ("iin.sex-mismatch", "the sex encoded in the IIN differs from Sex"),
    ("bin.check-digit", "the employer BIN's check digit is wrong"),
    (
        "mrz.format",
        "the MRZ is not a TD3 passport MRZ (line 1 must start with P; dates must be digits)",
    ),
    ("mrz.check-digit.document-number", "MRZ check digit of the document number is wrong"),
    ("mrz.check-digit.birth-date", "MRZ check digit of the birth date is wrong"),
    ("mrz.check-digit.expiry", "MRZ check digit of the expiry date is wrong"),
    (
        "mrz.check-digit.optional-data",
        "MRZ check digit of the optional data (personal number) is wrong",
    ),
    ("mrz.check-digit.composite", "MRZ composite check digit is wrong"),
    (
        "mrz.mismatch.document",
        "the MRZ's document number, issuing state or expiry matches no passport Document "
        "of the person",
    ),
    ("mrz.mismatch.birth-date", "the MRZ's birth date differs from BirthDate"),
    ("mrz.mismatch.sex", "the MRZ's sex differs from Sex"),
    ("mrz.mismatch.nationality", "the MRZ's nationality differs from Citizenship"),
    ("date.birth-in-future", "BirthDate is after the record was last updated"),
    ("date.updated-in-future", "updatedAt is in the future"),
    ("date.occurred-after-update", "the fact's date is after the record's updatedAt"),
    ("date.order.before-birth", "the fact's date is before the person's birth"),
    (
        "date.order.validity",
        "a validity or stay period ends before (or when) it starts (To <= From)",
    ),
    ("date.order.exit-before-entry", "an exit is dated before the entry of the same trip"),
    ("date.order.executed-before-decision", "a deportation was executed before it was decided"),
    ("document.expired-at-crossing", "the passport had expired on the day of the crossing"),
    (
        "country.unknown",
        "not an ISO 3166-1 alpha-3 code (nationality also takes ICAO XXA/XXB/XXC/XXX)",
    ),
    ("country.not-cis-partner", "the notifying PartnerState is not a CIS member or associate"),
    ("kato.unknown", "the KATO code's first two digits name no region of Kazakhstan"),
    ("quota.used-exceeds-allotted", "a quota's Used count is larger than its Allotted count"),
    (
        "quota.decided-after-year",
        "a kandas quota's DecisionDate lies after the end of its QuotaYear (a year already past)",
    ),
    ("stat.negative-count", "a negative number of persons for a flow other than SALDO"),
)

#: Element that holds the time of the fact, per record type (the event's occurredAt): the
#: record-type table's, and the hub's own event envelope, which ``mhub validate`` checks too.
OCCURRED_AT: dict[str, str] = {**RECORD_OCCURRED_AT, EVENT_ENVELOPE: "OccurredAt"}

# Elements whose values are country codes, KATO codes or BINs, by local name, in every family.
# (tests/unit/intake/validate/test_schemas.py checks these sets against the XSDs' types.)
COUNTRY_ELEMENTS = frozenset(
    {
        "Citizenship",
        "PreviousCitizenship",
        "DestinationCountry",
        "CountryOfOrigin",
        "RouteCountry",
        "PartnerState",
    }
)
NATIONALITY_ELEMENTS = frozenset({"Citizenship"})
COUNTRY_ATTRIBUTES = frozenset({"issuingState"})
KATO_ELEMENTS = frozenset({"Kato", "FromKato", "ToKato"})
BIN_ELEMENTS = frozenset({"BIN"})

# (start, end, rule, strict): end must be after start (strict) or not before it.
DATE_ORDER: tuple[tuple[str, str, str, bool], ...] = (
    ("ValidFrom", "ValidTo", "date.order.validity", True),
    ("From", "To", "date.order.validity", True),
    ("EntryCrossedAt", "CrossedAt", "date.order.exit-before-entry", False),
    ("DecisionDate", "ExecutedAt", "date.order.executed-before-decision", False),
)
