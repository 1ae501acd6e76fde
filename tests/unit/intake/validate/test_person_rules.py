"""Known answers for the IIN and MRZ rules, called as the validator calls them and on
a bare person element: every rule id, message and the node it points at.

The MRZ is ICAO 9303 part 4's specimen passport (Anna Maria Eriksson, Utopia).
"""

from __future__ import annotations

import pytest
from lxml import etree

from hub.intake.validate.catalog import COMMON_NS
from hub.intake.validate.rules import check_iin, check_mrz

C = f"{{{COMMON_NS}}}"
LINE1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
LINE2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
IIN = "850412301232"  # 1985-04-12, century digit 3: 1900s, male; check digit 2


def person(iin: str | None = None, birth: str = "", sex: str = "", citizenship: str = "",
           line1: str | None = LINE1, line2: str | None = LINE2,
           document: dict[str, str] | None = None) -> etree._Element:
    p = etree.Element(f"{C}Person")
    for name, value in (("IIN", iin), ("BirthDate", birth), ("Sex", sex),
                        ("Citizenship", citizenship)):
        if value:
            etree.SubElement(p, f"{C}{name}").text = value
    if line1 is not None or line2 is not None:
        mrz = etree.SubElement(p, f"{C}MRZ")
        for name, value in (("Line1", line1), ("Line2", line2)):
            if value is not None:
                etree.SubElement(mrz, f"{C}{name}").text = f" {value} "
    doc = document if document is not None else {
        "type": "P", "number": "L898902C3", "issuingState": "UTO", "expiry": "2012-04-15"}
    if doc:
        etree.SubElement(p, f"{C}Document", doc)
    return p


def iin_issues(p: etree._Element) -> list[tuple[str, str]]:
    issues = list(check_iin(p))
    assert all(i.node is p.find(f"{C}IIN") for i in issues)
    return [(i.rule, i.message) for i in issues]


def mrz_issues(p: etree._Element) -> list[tuple[str, str]]:
    issues = list(check_mrz(p))
    return [(i.rule, i.message) for i in issues]


class TestIin:
    def test_valid_and_consistent(self) -> None:
        assert iin_issues(person(IIN, birth="1985-04-12", sex="M")) == []
        assert iin_issues(person(None)) == []

    @pytest.mark.parametrize("digit", "0789")
    def test_century_digit(self, digit: str) -> None:
        iin = IIN[:6] + digit + IIN[7:]
        assert iin_issues(person(iin, birth="1900-01-01", sex="F")) == [
            ("iin.century-digit", f"IIN {iin}: 7th digit {digit} is not 1-6")]

    def test_wrong_check_digit(self) -> None:
        assert iin_issues(person("850412301233")) == [
            ("iin.check-digit", "IIN 850412301233: check digit should be 2")]

    def test_unissuable_number(self) -> None:
        from hub.intake.validate.checksums import iin_check_digit

        first11 = next(f"9001013{s:04d}" for s in range(10000)
                       if iin_check_digit(f"9001013{s:04d}") is None)
        assert iin_issues(person(first11 + "0")) == [
            ("iin.check-digit", f"IIN {first11}0: no check digit exists for these 11 digits")]

    def test_no_date(self) -> None:
        from hub.intake.validate.checksums import iin_check_digit

        first11 = "8502303" + "0123"  # 30 February
        iin = first11 + str(iin_check_digit(first11))
        assert iin_issues(person(iin, birth="1985-02-28")) == [
            ("iin.date", f"IIN {iin}: 850230 with century digit 3 is no date")]

    def test_birth_and_sex_mismatch(self) -> None:
        assert iin_issues(person(IIN, birth="1985-04-13", sex="F")) == [
            ("iin.birth-date-mismatch",
             f"IIN {IIN} encodes birth date 1985-04-12, BirthDate is 1985-04-13"),
            ("iin.sex-mismatch", f"IIN {IIN} encodes sex M, Sex is F"),
        ]

    def test_unknown_sex_is_not_compared(self) -> None:
        assert iin_issues(person(IIN, sex="X")) == []


class TestMrz:
    def test_specimen_is_valid_and_consistent(self) -> None:
        assert mrz_issues(person(birth="1974-08-12", sex="F", citizenship="UTO")) == []

    def test_missing_line_is_not_checked(self) -> None:
        assert mrz_issues(person(line2=None)) == []
        assert mrz_issues(person(line1=None)) == []
        assert mrz_issues(person(line1=None, line2=None, document={})) == []

    def test_line_one_must_be_a_passport(self) -> None:
        p = person(line1="V" + LINE1[1:])
        issues = list(check_mrz(p))
        assert [(i.rule, i.message) for i in issues] == [
            ("mrz.format", "TD3 line 1 must start with P, not 'V'")]
        assert issues[0].node is p.find(f"{C}MRZ/{C}Line1")

    @pytest.mark.parametrize("line2", [
        LINE2[:13] + "74O812" + LINE2[19:], LINE2[:21] + "12O415" + LINE2[27:]])
    def test_dates_must_be_digits(self, line2: str) -> None:
        p = person(line2=line2)
        issues = list(check_mrz(p))
        assert [(i.rule, i.message) for i in issues] == [
            ("mrz.format", "MRZ birth and expiry dates must be six digits")]
        assert issues[0].node is p.find(f"{C}MRZ/{C}Line2")

    @pytest.mark.parametrize(("at", "rule", "message"), [
        (9, "mrz.check-digit.document-number",
         "MRZ check digit of the document number 'L898902C3' should be 6, not '7'"),
        (19, "mrz.check-digit.birth-date",
         "MRZ check digit of the birth date '740812' should be 2, not '3'"),
        (27, "mrz.check-digit.expiry",
         "MRZ check digit of the expiry date '120415' should be 9, not '0'"),
        (42, "mrz.check-digit.optional-data",
         "MRZ check digit of the optional data should be 1, not '2'"),
    ])
    def test_each_check_digit(self, at: int, rule: str, message: str) -> None:
        wrong = str((int(LINE2[at]) + 1) % 10)
        line2 = LINE2[:at] + wrong + LINE2[at + 1:]
        got = mrz_issues(person(line2=line2))
        assert got[0] == (rule, message)
        # the composite covers every field and its digit, so it breaks too
        assert got[1][0] == "mrz.check-digit.composite"

    def test_composite(self) -> None:
        assert mrz_issues(person(line2=LINE2[:43] + "1")) == [
            ("mrz.check-digit.composite", "MRZ composite check digit should be 0, not '1'")]

    def test_filler_optional_data_may_have_a_filler_digit(self) -> None:
        from hub.intake.validate.checksums import mrz_check_digit

        for digit in "<0":
            body = LINE2[:28] + "<" * 14 + digit
            line2 = body + str(mrz_check_digit(body[0:10] + body[13:20] + body[21:43]))
            assert mrz_issues(person(line2=line2)) == []
        body = LINE2[:28] + "<" * 14 + "5"
        line2 = body + str(mrz_check_digit(body[0:10] + body[13:20] + body[21:43]))
        assert [r for r, _ in mrz_issues(person(line2=line2))] == [
            "mrz.check-digit.optional-data"]

    def test_consistency_with_the_person(self) -> None:
        p = person(birth="1974-08-13", sex="M", citizenship="KAZ",
                   document={"type": "P", "number": "L898902C3", "issuingState": "KAZ"})
        assert mrz_issues(p) == [
            ("mrz.mismatch.document", "MRZ passport UTO L898902C3 (expiry 120415) is not "
             "among the person's passport Documents"),
            ("mrz.mismatch.birth-date", "MRZ birth date 740812 differs from BirthDate 1974-08-13"),
            ("mrz.mismatch.sex", "MRZ sex 'F' differs from Sex M"),
            ("mrz.mismatch.nationality", "MRZ nationality UTO differs from Citizenship KAZ"),
        ]

    @pytest.mark.parametrize("doc", [
        {"type": "P", "number": "L898902C3", "issuingState": "UTO"},  # no expiry: not compared
        {"type": "P", "number": "L898902C3XYZ", "issuingState": "UTO", "expiry": "2012-04-15"},
    ])
    def test_matching_passport_documents(self, doc: dict[str, str]) -> None:
        assert mrz_issues(person(document=doc)) == []

    @pytest.mark.parametrize("doc", [
        {"type": "V", "number": "L898902C3", "issuingState": "UTO"},
        {"type": "P", "number": "L898902C4", "issuingState": "UTO"},
        {"type": "P", "number": "L898902C3", "issuingState": "UTO", "expiry": "2012-04-16"},
    ])
    def test_other_documents_do_not_match(self, doc: dict[str, str]) -> None:
        assert [r for r, _ in mrz_issues(person(document=doc))] == ["mrz.mismatch.document"]

    def test_unspecified_sex_is_x(self) -> None:
        line2 = LINE2[:20] + "<" + LINE2[21:]
        assert [r for r, _ in mrz_issues(person(sex="X", line2=line2))] == []
