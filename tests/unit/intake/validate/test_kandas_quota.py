"""The KandasQuota record: its XSD and its one business rule, quota.decided-after-year."""

from __future__ import annotations

import pytest

from hub.contract import SCHEMAS_DIR
from hub.intake.validate import validate_record

EXAMPLE = (SCHEMAS_DIR / "examples" / "valid" / "labour1-KandasQuota.xml").read_text("utf-8")


def quota(year: str = "2026", decided: str = "2025-12-20", persons: str = "1200") -> bytes:
    text = (
        EXAMPLE.replace("<QuotaYear>2026", f"<QuotaYear>{year}")
        .replace("<DecisionDate>2025-12-20", f"<DecisionDate>{decided}")
        .replace("<Persons>1200", f"<Persons>{persons}")
    )
    return text.encode()


def rules(body: bytes) -> list[tuple[str, str]]:
    return [(f.rule, f.xpath) for f in validate_record(body, source="labour").findings]


class TestDecidedAfterYear:
    @pytest.mark.parametrize(("year", "decided"), [
        ("2026", "2025-12-20"),  # decided the year before: the usual case
        ("2026", "2026-01-01"),  # a revision during the year
        ("2025", "2025-12-31"),  # the year's last day
    ])
    def test_a_quota_for_a_year_to_come_or_running_is_valid(self, year: str, decided: str) -> None:
        assert rules(quota(year, decided)) == []

    def test_a_quota_for_a_past_year_names_the_rule_and_the_decision_date(self) -> None:
        result = validate_record(quota("2024", "2025-12-20"), source="labour")
        assert [(f.rule, f.xpath) for f in result.findings] == [
            ("quota.decided-after-year", "/lab:KandasQuota/lab:DecisionDate")
        ]
        assert result.findings[0].message == "DecisionDate 2025-12-20 is after the quota year 2024"
        assert result.findings[0].record_id == "MTSZN-KQ-2026-39"


class TestSchema:
    @pytest.mark.parametrize("persons", ["-5", "many"])
    def test_persons_is_a_count(self, persons: str) -> None:
        assert rules(quota(persons=persons)) == [
            ("xsd.datatype", "/lab:KandasQuota/lab:Persons")
        ]

    def test_a_quota_carries_no_person(self) -> None:
        body = EXAMPLE.replace(
            "<QuotaYear>", "<c:Person><c:Surname>X</c:Surname></c:Person><QuotaYear>"
        )
        assert [r for r, _ in rules(body.encode())] == ["xsd.element-content"]
