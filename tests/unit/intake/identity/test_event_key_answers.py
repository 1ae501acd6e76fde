"""Known answers for every fact's key: the normalisers (codes lose spaces, hyphens,
slashes and '№'; text is upper case with single spaces; dates are their calendar
day; moments their UTC minute; directions their synonyms), the optional fields,
the escaping, and the errors an operator reads.

The key format is a contract: event ids are UUIDv5 of these strings, so a change
here re-identifies every event and must be deliberate (and versioned, ``/v1``).
"""

from __future__ import annotations

import pytest

from hub.intake.identity.event_key import EventKeyError, event_key

P = "P1"
ANSWERS = [
    ("BorderCrossing", P, {"BorderPoint": "kz-bp 012", "Direction": " arrival ",
                           "CrossedAt": "2026-03-01T15:15:59+05:00"},
     "border-crossing/v1|P1|border_point=KZBP012|direction=ENTRY|minute=2026-03-01T10%3A15"),
    ("PartnerBorderNotice", P, {"BorderPoint": "KZBP012", "Direction": "IN",
                                "CrossedAt": "2026-03-01T10:15:00Z"},
     "border-crossing/v1|P1|border_point=KZBP012|direction=ENTRY|minute=2026-03-01T10%3A15"),
    ("BorderCrossing", P, {"BorderPoint": "A", "Direction": "departure",
                           "CrossedAt": "2026-03-01T23:59:00-01:00"},
     "border-crossing/v1|P1|border_point=A|direction=EXIT|minute=2026-03-02T00%3A59"),
    ("StayRegistration", P, {"Kato": "75-10 00", "From": "2026-01-02T00:00:00"},
     "stay-registration/v1|P1|kato=751000|from=2026-01-02"),
    ("ResidencePermit", P, {"PermitNumber": "№ RP/77-1"},
     "residence-permit/v1|P1|permit=RP771"),
    ("CitizenshipDecision", P, {"DecisionNumber": "cd 5", "DecisionDate": "2025-12-31+06:00"},
     "citizenship-decision/v1|P1|number=CD5|date=2025-12-31"),
    ("Violation", P, {"CaseNumber": "v-9"}, "violation/v1|P1|case=V9"),
    ("Deportation", P, {"ExecutedAt": "2026-02-01T10:00:30"},
     "deportation/v1|P1|executed=2026-02-01T10%3A00"),
    ("EntryBan", P, {"ValidFrom": "2026-01-01"}, "entry-ban/v1|P1|from=2026-01-01"),
    ("PartnerEntryBanNotice", P, {"ValidFrom": "2026-01-01", "ValidTo": "2027-01-01"},
     "entry-ban/v1|P1|from=2026-01-01|to=2027-01-01"),
    ("WorkPermit", P, {"PermitNumber": "wp 1", "Action": "  issued   again "},
     "work-permit/v1|P1|permit=WP1|action=ISSUED%20AGAIN"),
    ("LabourQuota", "", {"Kato": "75", "Sector": "Construction work", "Year": "2026",
                         "DecisionDate": "2026-01-05"},
     "labour-quota/v1||kato=75|sector=CONSTRUCTION%20WORK|year=2026|decided=2026-01-05"),
    ("LabourQuota", "", {"Kato": "75", "Sector": "A", "Category": "skilled", "Year": "2026",
                         "DecisionDate": "2026-01-05"},
     "labour-quota/v1||kato=75|sector=A|category=SKILLED|year=2026|decided=2026-01-05"),
    ("KandasQuota", "", {"Kato": "39 00 00000", "QuotaYear": "2026",
                         "DecisionNumber": "ПП-2025/1047", "DecisionDate": "2025-12-20"},
     "kandas-quota/v1||kato=390000000|year=2026|decided=2025-12-20"),
    ("PartnerCitizenRegistration", P, {"PartnerState": "uzb", "From": "2026-01-01",
                                       "To": "2026-06-30"},
     "partner-registration/v1|P1|state=UZB|from=2026-01-01|to=2026-06-30"),
    ("Observation", "", {"Dataflow": "kz mig", "SeriesKey": "A.75/x", "Period": "2024-q1"},
     "statistics-observation/v1||dataflow=KZ%20MIG|series=A.75%2FX|period=2024-Q1"),
]


@pytest.mark.parametrize(("record_type", "person", "fields", "key"), ANSWERS,
                         ids=[f"{a[0]}-{i}" for i, a in enumerate(ANSWERS)])
def test_known_keys(record_type: str, person: str, fields: dict[str, str], key: str) -> None:
    assert event_key(record_type, person, fields) == key


def test_an_empty_field_counts_as_missing() -> None:
    fields = {"ValidFrom": "2026-01-01", "ValidTo": ""}
    assert event_key("EntryBan", P, fields) == "entry-ban/v1|P1|from=2026-01-01"


@pytest.mark.parametrize(("record_type", "person", "fields", "field", "message"), [
    ("Horoscope", P, {}, "", "no event key defined for 'Horoscope'"),
    ("Violation", "", {"CaseNumber": "1"}, "person", "Violation needs a resolved person"),
    ("Violation", P, {}, "CaseNumber", "Violation lacks CaseNumber for its event key"),
    ("EntryBan", P, {"ValidFrom": "soon"}, "ValidFrom",
     "EntryBan: ValidFrom='soon' cannot key an event: not a date: 'soon'"),
    ("BorderCrossing", P, {"BorderPoint": "A", "Direction": "up", "CrossedAt": "2026-01-01T00:00Z"},
     "Direction", "BorderCrossing: Direction='up' cannot key an event: not a direction: 'up'"),
])
def test_errors_name_the_type_and_field(
    record_type: str, person: str, fields: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(EventKeyError) as err:
        event_key(record_type, person, fields)
    assert str(err.value) == message
    assert (err.value.event_type, err.value.field) == (record_type, field)
    assert err.value.rule == "event-key.missing-field"
