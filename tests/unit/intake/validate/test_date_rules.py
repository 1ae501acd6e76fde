"""Known answers for the date rules on bare records: each rule id, its message and
the node it points at (the messages are what an agency reads in its findings)."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from hub.intake.validate.catalog import COMMON_NS
from hub.intake.validate.rules import check_dates

NS = "urn:example:interior"
C = f"{{{COMMON_NS}}}"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def record(record_type: str, updated: str, fields: dict[str, str], birth: str = "",
           passport_expiry: str = "") -> etree._Element:
    root = etree.Element(f"{{{NS}}}{record_type}", updatedAt=updated)
    person = etree.SubElement(root, f"{{{NS}}}Person")
    if birth:
        etree.SubElement(person, f"{C}BirthDate").text = birth
    if passport_expiry:
        etree.SubElement(person, f"{C}Document", type="P", number="N1",
                         expiry=passport_expiry)
    for name, value in fields.items():
        etree.SubElement(root, f"{{{NS}}}{name}").text = value
    return root


def issues(root: etree._Element) -> list[tuple[str, str, str]]:
    out = list(check_dates(root, f"{{{NS}}}", etree.QName(root).localname, now=NOW))
    return [(i.rule, i.message, etree.QName(i.node).localname) for i in out]


def test_consistent_crossing_has_no_issue() -> None:
    root = record("BorderCrossing", "2026-03-01T10:00:00Z",
                  {"CrossedAt": "2026-03-01T09:00:00Z"}, birth="1990-01-01",
                  passport_expiry="2030-01-01")
    assert issues(root) == []


def test_crossing_after_update_before_birth_with_expired_passport() -> None:
    root = record("BorderCrossing", "2026-03-01T10:00:00Z",
                  {"CrossedAt": "2026-03-01T10:00:01Z"}, birth="2026-03-02",
                  passport_expiry="2026-02-28")
    assert issues(root) == [
        ("date.occurred-after-update",
         "CrossedAt 2026-03-01T10:00:01Z is after updatedAt 2026-03-01T10:00:00Z", "CrossedAt"),
        ("date.order.before-birth", "CrossedAt 2026-03-01T10:00:01Z is before BirthDate "
         "2026-03-02", "CrossedAt"),
        ("document.expired-at-crossing", "passport N1 expired 2026-02-28, crossing 2026-03-01",
         "Document"),
    ]


def test_update_and_birth_in_the_future() -> None:
    root = record("Violation", "2026-03-01T12:05:01Z", {}, birth="2026-03-03")
    assert issues(root) == [
        ("date.updated-in-future", "updatedAt 2026-03-01T12:05:01+00:00 is in the future",
         "Violation"),
        ("date.birth-in-future", "BirthDate 2026-03-03 is after updatedAt", "BirthDate"),
    ]
    # within the clock skew, and a birth day still possible somewhere on Earth (UTC+14)
    assert issues(record("Violation", "2026-03-01T12:05:00Z", {}, birth="2026-03-02")) == []


def test_order_of_paired_dates() -> None:
    root = record("EntryBan", "2026-03-01T10:00:00Z",
                  {"DecisionDate": "2026-01-01", "ValidFrom": "2026-02-01",
                   "ValidTo": "2026-02-01"})
    assert issues(root) == [
        ("date.order.validity", "ValidTo 2026-02-01 is not after ValidFrom 2026-02-01",
         "ValidTo")]
    ok = record("EntryBan", "2026-03-01T10:00:00Z",
                {"DecisionDate": "2026-01-01", "ValidFrom": "2026-02-01", "ValidTo": "2026-02-02"})
    assert issues(ok) == []


def test_boundaries_are_not_issues() -> None:
    """Exactly at the clock skew, at updatedAt, and on the birth day: all allowed."""
    assert issues(record("Violation", "2026-03-01T12:05:00Z", {})) == []
    assert issues(record("Violation", "2026-03-01T12:00:00Z", {})) == []
    same = record("BorderCrossing", "2026-03-01T10:00:00Z",
                  {"CrossedAt": "2026-03-01T10:00:00Z"}, birth="2026-03-01",
                  passport_expiry="2026-03-01")
    assert issues(same) == []


def test_partner_notice_crossing_checks_the_passport_too() -> None:
    root = record("PartnerBorderNotice", "2026-03-01T10:00:00Z",
                  {"CrossedAt": "2026-03-01T09:00:00Z"}, passport_expiry="2026-01-31")
    assert [r for r, _, _ in issues(root)] == ["document.expired-at-crossing"]


def test_only_crossings_check_the_passport() -> None:
    root = record("Violation", "2026-03-01T10:00:00Z",
                  {"DetectedAt": "2026-03-01T09:00:00Z"}, passport_expiry="2026-01-31")
    assert issues(root) == []


def test_statistics_period_is_read_as_its_first_day() -> None:
    late = record("Observation", "2024-03-30T10:00:00Z", {"Period": "2024-Q2"})
    assert issues(late) == [("date.occurred-after-update",
                             "Period 2024-Q2 is after updatedAt 2024-03-30T10:00:00Z", "Period")]
    assert issues(record("Observation", "2024-03-31T10:00:00Z", {"Period": "2024-Q1"})) == []
