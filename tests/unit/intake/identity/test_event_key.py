"""Event keys: one key per fact, whichever agency reports it."""

from __future__ import annotations

import uuid

import pytest

from hub.intake.identity.event_key import (
    FACT_KEYS,
    FACTS,
    HUB_EVENT_NAMESPACE,
    EventKeyError,
    event_id,
    event_key,
    fact_of,
)

PERSON = "8fb14ab0-9905-513b-8a1d-39154502f246"
CROSSING = {"BorderPoint": "KZ-BP-012", "Direction": "ENTRY", "CrossedAt": "2026-03-01T10:15:23Z",
            "TransportMode": "AUTO"}


class TestBorderCrossing:
    def test_partner_notice_is_the_same_fact(self) -> None:
        notice = {"PartnerState": "RUS", "BorderPoint": "kz-bp-012", "Direction": "entry",
                  "CrossedAt": "2026-03-01T15:15:59+05:00"}
        assert event_key("PartnerBorderNotice", PERSON, notice) == event_key(
            "BorderCrossing", PERSON, CROSSING
        )
        assert fact_of("PartnerBorderNotice") == fact_of("BorderCrossing") == "border-crossing"

    def test_non_key_fields_do_not_count(self) -> None:
        other = {**CROSSING, "TransportMode": "RAIL"}
        assert event_key("BorderCrossing", PERSON, other) == event_key(
            "BorderCrossing", PERSON, CROSSING
        )

    @pytest.mark.parametrize(
        "change",
        [{"CrossedAt": "2026-03-01T10:16:00Z"}, {"Direction": "EXIT"},
         {"BorderPoint": "KZ-BP-013"}],
    )
    def test_key_fields_count(self, change: dict[str, str]) -> None:
        assert event_key("BorderCrossing", PERSON, {**CROSSING, **change}) != event_key(
            "BorderCrossing", PERSON, CROSSING
        )

    def test_person_counts(self) -> None:
        assert event_key("BorderCrossing", PERSON, CROSSING) != event_key(
            "BorderCrossing", str(uuid.uuid4()), CROSSING
        )

    def test_key_is_readable(self) -> None:
        assert event_key("BorderCrossing", PERSON, CROSSING) == (
            f"border-crossing/v1|{PERSON}|border_point=KZBP012|direction=ENTRY"
            "|minute=2026-03-01T10%3A15"
        )


class TestOtherFacts:
    def test_stay_registration_and_partner_registration_differ(self) -> None:
        a = event_key("StayRegistration", PERSON, {"Kato": "751110000", "From": "2026-03-01"})
        b = event_key("PartnerCitizenRegistration", PERSON,
                      {"PartnerState": "RUS", "Region": "Омская область", "From": "2026-03-01"})
        assert a != b and b.startswith("partner-registration/v1|")

    def test_work_permit_issue_and_revocation_are_two_facts(self) -> None:
        issued = event_key("WorkPermit", PERSON, {"PermitNumber": "WP-1", "Action": "ISSUED"})
        revoked = event_key("WorkPermit", PERSON, {"PermitNumber": "WP 1", "Action": "REVOKED"})
        assert issued != revoked

    def test_interior_deportation_meets_partner_notice(self) -> None:
        # Element names and time zones as in the schemas' examples.
        interior = event_key("Deportation", PERSON, {
            "CaseNumber": "ДП-2026-00931", "DecisionDate": "2026-02-18",
            "ExecutedAt": "2026-02-22T04:45:00+05:00", "BorderPoint": "ALA-AIR"})
        partner = event_key("PartnerDeportationNotice", PERSON, {
            "PartnerState": "TJK", "CaseNumber": "2026-77-004411",
            "DecisionDate": "2026-02-18", "ExecutedAt": "2026-02-21T23:45:00Z"})
        assert interior == partner

    def test_entry_ban_meets_partner_notice(self) -> None:
        interior = event_key("EntryBan", PERSON, {"BanNumber": "ЗВ-1", "ValidFrom": "2026-02-22"})
        partner = event_key("PartnerEntryBanNotice", PERSON,
                            {"PartnerState": "UZB", "BanNumber": "EB-7", "ValidFrom": "2026-02-22"})
        assert interior == partner

    def test_quota_and_observation_have_no_person(self) -> None:
        quota = {"Kato": "750000000", "Sector": "F", "Year": "2026", "DecisionDate": "2026-01-05"}
        key = event_key("LabourQuota", "", quota)
        assert key.startswith("labour-quota/v1||")
        assert event_key("LabourQuota", "", {**quota, "Category": "CAT4"}) != key
        obs = {"Dataflow": "KZ_STAT:DF_MIGRATION(1.0)", "SeriesKey": "M.75.ARR.CIS",
               "Period": "2026-01", "Value": "2143"}
        assert event_key("Observation", "", obs) == event_key("Observation", "", {**obs,
                                                                                  "Value": "1"})

    def test_every_record_type_has_key_fields(self) -> None:
        assert set(FACTS.values()) == set(FACT_KEYS)


class TestErrors:
    def test_missing_field(self) -> None:
        with pytest.raises(EventKeyError) as err:
            event_key("BorderCrossing", PERSON, {"BorderPoint": "X", "Direction": "ENTRY"})
        assert err.value.field == "CrossedAt" and err.value.rule == "event-key.missing-field"

    def test_bad_value(self) -> None:
        with pytest.raises(EventKeyError):
            event_key("BorderCrossing", PERSON, {**CROSSING, "Direction": "SIDEWAYS"})

    def test_unknown_type_and_missing_person(self) -> None:
        with pytest.raises(EventKeyError):
            event_key("Horoscope", PERSON, {})
        with pytest.raises(EventKeyError):
            event_key("BorderCrossing", "", CROSSING)


def test_event_id_is_uuid5_under_the_pinned_namespace() -> None:
    assert uuid.uuid5(uuid.NAMESPACE_URL, "urn:kz:mhub:event") == HUB_EVENT_NAMESPACE
    key = event_key("BorderCrossing", PERSON, CROSSING)
    assert event_id(key) == uuid.uuid5(HUB_EVENT_NAMESPACE, key)
    assert event_id(key).version == 5
