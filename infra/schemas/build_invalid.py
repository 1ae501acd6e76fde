"""Write one invalid example per rule into schemas/examples/invalid/.

Each file is a valid example with one mistake, named ``<example>--<rule>.xml``
and starting with a comment ``expected rule: <rule>``; the tests check that
validating it reports that rule. Run after ``python -m infra.schemas.build_examples``:
``python -m infra.schemas.build_invalid``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from hub.contract import SCHEMAS_DIR
from hub.intake.validate.checksums import iin_check_digit, make_iin, mrz_check_digit

VALID = SCHEMAS_DIR / "examples" / "valid"
OUT = SCHEMAS_DIR / "examples" / "invalid"

Mutation = Callable[[str], str]


def sub(old: str, new: str, count: int = 1) -> Mutation:
    def apply(text: str) -> str:
        assert old in text, f"{old!r} not in example"
        return text.replace(old, new, count)
    return apply


def resub(pattern: str, new: str) -> Mutation:
    def apply(text: str) -> str:
        out, n = re.subn(pattern, new, text, count=1, flags=re.S)
        assert n == 1, pattern
        return out
    return apply


def chain(*steps: Mutation) -> Mutation:
    def apply(text: str) -> str:
        for step in steps:
            text = step(text)
        return text
    return apply


def mrz_line2(change: Callable[[list[str]], None]) -> Mutation:
    """Edit line 2 of the MRZ and recompute the composite check digit, so one rule breaks."""
    def apply(text: str) -> str:
        m = re.search(r"<c:Line2>(.*?)</c:Line2>", text)
        assert m
        line = list(m[1].replace("&lt;", "<"))
        change(line)
        s = "".join(line)
        s = s[:43] + str(mrz_check_digit(s[0:10] + s[13:20] + s[21:43]))
        return text.replace(m[0], f"<c:Line2>{s.replace('<', '&lt;')}</c:Line2>")
    return apply


def _set(pos: int, value: str) -> Callable[[list[str]], None]:
    def change(line: list[str]) -> None:
        line[pos:pos + len(value)] = list(value)
    return change


def _bad_check(pos: int) -> Callable[[list[str]], None]:
    def change(line: list[str]) -> None:
        line[pos] = str((int(line[pos]) + 1) % 10) if line[pos].isdigit() else "1"
    return change


def _optional_with_wrong_check(line: list[str]) -> None:
    optional = "AB1234567<<<<<"
    line[28:43] = list(optional + str((mrz_check_digit(optional) + 1) % 10))


NO_MRZ = resub(r"\s*<c:MRZ>.*?</c:MRZ>", "")
KAZ_IIN = make_iin(date(1995, 11, 3), "F", 5127)
_bad_date_11 = "951303" + "4" + "5127"
_check = iin_check_digit(_bad_date_11)
IIN_BAD_DATE = _bad_date_11 + str(_check if _check is not None else 0)

SDMX = """<?xml version="1.0" encoding="UTF-8"?>
<!-- expected rule: schema.sdmx-validated-elsewhere -->
<message:GenericData xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
    xmlns:generic="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic">
  <message:Header><message:ID>MIG-2026-01</message:ID><message:Test>false</message:Test>
    <message:Prepared>2026-02-20T06:00:00Z</message:Prepared></message:Header>
  <message:DataSet>
    <generic:Series>
      <generic:SeriesKey><generic:Value id="REGION" value="75"/></generic:SeriesKey>
      <generic:Obs><generic:ObsDimension value="2026-01"/>
        <generic:ObsValue value="2143"/></generic:Obs>
    </generic:Series>
  </message:DataSet>
</message:GenericData>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!-- expected rule: xml.dtd -->
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<BorderCrossing xmlns="urn:kz:mhub:interior:1">&lol4;</BorderCrossing>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!-- expected rule: xml.dtd -->
<!DOCTYPE r [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<BorderCrossing xmlns="urn:kz:mhub:interior:1">&xxe;</BorderCrossing>
"""

DEEP = ('<?xml version="1.0"?>\n<!-- expected rule: xml.too-deep -->\n'
        + "<a>" * 80 + "</a>" * 80 + "\n")

# (base example, rule, mutation)
CASES: list[tuple[str, str, Mutation]] = [
    ("partner1-PartnerBorderNotice", "iin.check-digit",
     sub(f"<c:IIN>{KAZ_IIN}</c:IIN>",
         f"<c:IIN>{KAZ_IIN[:11]}{(int(KAZ_IIN[11]) + 1) % 10}</c:IIN>")),
    ("partner1-PartnerBorderNotice", "iin.century-digit",
     sub(f"<c:IIN>{KAZ_IIN}</c:IIN>", f"<c:IIN>{KAZ_IIN[:6]}9{KAZ_IIN[7:]}</c:IIN>")),
    ("partner1-PartnerBorderNotice", "iin.date",
     sub(f"<c:IIN>{KAZ_IIN}</c:IIN>", f"<c:IIN>{IIN_BAD_DATE}</c:IIN>")),
    ("partner1-PartnerBorderNotice", "iin.birth-date-mismatch",
     sub(f"<c:IIN>{KAZ_IIN}</c:IIN>", f"<c:IIN>{make_iin(date(1995, 11, 4), 'F', 5127)}</c:IIN>")),
    ("partner1-PartnerBorderNotice", "iin.sex-mismatch",
     sub(f"<c:IIN>{KAZ_IIN}</c:IIN>", f"<c:IIN>{make_iin(date(1995, 11, 3), 'M', 5127)}</c:IIN>")),
    ("labour1-WorkPermit", "bin.check-digit",
     sub("<BIN>050540004455</BIN>", "<BIN>050540004456</BIN>")),
    ("interior1-BorderCrossing", "mrz.format", sub("<c:Line1>P&lt;UZB", "<c:Line1>I&lt;UZB")),
    ("interior1-BorderCrossing", "mrz.check-digit.document-number", mrz_line2(_bad_check(9))),
    ("interior1-BorderCrossing", "mrz.check-digit.birth-date", mrz_line2(_bad_check(19))),
    ("interior1-BorderCrossing", "mrz.check-digit.expiry", mrz_line2(_bad_check(27))),
    ("interior1-BorderCrossing", "mrz.check-digit.optional-data",
     mrz_line2(_optional_with_wrong_check)),
    ("interior1-BorderCrossing", "mrz.check-digit.composite",
     lambda t: re.sub(r"(\d)(</c:Line2>)",
                      lambda m: f"{(int(m[1]) + 1) % 10}{m[2]}", t, count=1)),
    ("interior1-BorderCrossing", "mrz.mismatch.document",
     sub('number="FA1234567"', 'number="FA7654321"')),
    ("interior1-BorderCrossing", "mrz.mismatch.birth-date",
     sub("<c:BirthDate>1990-07-15", "<c:BirthDate>1990-07-16")),
    ("interior1-BorderCrossing", "mrz.mismatch.sex", sub("<c:Sex>M</c:Sex>", "<c:Sex>F</c:Sex>")),
    ("interior1-BorderCrossing", "mrz.mismatch.nationality",
     sub("<c:Citizenship>UZB</c:Citizenship>", "<c:Citizenship>TJK</c:Citizenship>")),
    ("labour1-WorkPermit", "date.birth-in-future",
     chain(NO_MRZ, sub("<c:BirthDate>1986-09-23", "<c:BirthDate>2026-09-23"))),
    ("interior1-BorderCrossing", "date.updated-in-future",
     sub('updatedAt="2026-03-01T10:15:00Z"', 'updatedAt="2099-03-01T10:15:00Z"')),
    ("interior1-BorderCrossing", "date.occurred-after-update",
     sub("<CrossedAt>2026-02-28T21:40:00+05:00", "<CrossedAt>2026-03-01T21:40:00+05:00")),
    ("interior1-ResidencePermit", "date.order.before-birth",
     sub("<DecisionDate>2026-02-20", "<DecisionDate>2000-02-20")),
    ("interior1-ResidencePermit", "date.order.validity",
     sub("<ValidTo>2029-02-20", "<ValidTo>2026-02-01")),
    ("interior1-StayRegistration", "date.order.validity", sub("<To>2026-05-29", "<To>2026-03-01")),
    ("interior1-BorderCrossing-exit", "date.order.exit-before-entry",
     sub("<EntryCrossedAt>2026-01-12", "<EntryCrossedAt>2026-02-28")),
    ("interior1-Deportation", "date.order.executed-before-decision",
     sub("<ExecutedAt>2026-02-22", "<ExecutedAt>2026-02-10")),
    ("partner1-PartnerBorderNotice", "document.expired-at-crossing",
     chain(NO_MRZ, sub('expiry="2030-02-14"', 'expiry="2025-02-14"'))),
    ("interior1-Deportation", "country.unknown",
     sub("<DestinationCountry>TJK", "<DestinationCountry>TJX")),
    ("interior1-Deportation", "country.unknown",
     chain(NO_MRZ, sub('issuingState="TJK"', 'issuingState="SUN"'))),
    ("partner1-PartnerEntryBanNotice", "country.not-cis-partner",
     sub("<PartnerState>UZB", "<PartnerState>CHN")),
    ("interior1-StayRegistration", "kato.unknown", sub("<Kato>751110000", "<Kato>991110000")),
    ("labour1-LabourQuota", "quota.used-exceeds-allotted", sub("<Used>412", "<Used>2000")),
    ("statistics1-Observation", "stat.negative-count", sub("<Value>2143", "<Value>-5")),
    ("interior1-BorderCrossing", "schema.unknown-namespace",
     sub('xmlns="urn:kz:mhub:interior:1"', 'xmlns="urn:kz:mhub:interior:3"')),
    ("interior1-BorderCrossing", "schema.unknown-record",
     chain(sub("<BorderCrossing ", "<BorderCrosing "),
           sub("</BorderCrossing>", "</BorderCrosing>"))),
    ("interior1-BorderCrossing", "xsd.element-content",
     sub("  <Direction>ENTRY</Direction>\n", "")),
    ("interior1-BorderCrossing", "xsd.missing-attribute", sub(' recordId="MVD-BC-000001"', "")),
    ("interior1-BorderCrossing", "xsd.unexpected-attribute",
     sub('version="1"', 'version="1" channel="web"')),
    ("interior1-BorderCrossing", "xsd.element-content",
     sub("<TransportMode>AIR</TransportMode>", "<TransportMode>AIR</TransportMode>\n"
         "  <VehiclePlate>01 KGZ 123 ABC</VehiclePlate>")),
    ("partner1-PartnerBorderNotice", "xsd.pattern",
     sub(f"<c:IIN>{KAZ_IIN}</c:IIN>", f"<c:IIN>{KAZ_IIN[:11]}</c:IIN>")),
    ("interior1-BorderCrossing", "xsd.enumeration",
     sub(">AIR</TransportMode>", ">BUS</TransportMode>")),
    ("interior1-BorderCrossing", "xsd.length",
     sub("<c:GivenNames>ALISHER</c:GivenNames>", "<c:GivenNames></c:GivenNames>")),
    ("interior1-Violation", "xsd.range", sub("<FineAmount>73840.00", "<FineAmount>73840.005")),
    ("interior1-BorderCrossing", "xsd.datatype",
     chain(NO_MRZ, sub("<c:BirthDate>1990-07-15", "<c:BirthDate>1990-02-30"))),
    ("interior1-BorderCrossing", "xsd.unexpected-content",
     sub("<c:Document type", "<c:Document>P</c:Document>\n    <c:Document type")),
    ("event1-Event", "xsd.wildcard",
     chain(sub("<BorderCrossing xmlns=", "<Crossing xmlns="),
           sub("</BorderCrossing>", "</Crossing>"))),
    ("interior1-BorderCrossing", "xml.malformed", sub("</BorderCrossing>", "</BorderCrossin>")),
    ("interior1-BorderCrossing", "xml.xinclude",
     sub("<Direction>ENTRY</Direction>",
         '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="direction.xml"/>')),
    # at least one invalid example of every record type
    ("interior1-CitizenshipDecision", "country.unknown",
     sub("<PreviousCitizenship>MNG", "<PreviousCitizenship>MGL")),
    ("interior1-EntryBan", "date.order.validity",
     sub("<ValidTo>2031-02-22", "<ValidTo>2026-02-01")),
    ("interior1-AsylumApplication", "kato.unknown", sub("<Kato>751110000", "<Kato>011110000")),
    ("interior1-RefugeeStatusDecision", "date.order.validity",
     sub("<ValidTo>2027-02-25", "<ValidTo>2026-02-26")),
    ("labour1-KandasQuota", "quota.decided-after-year",
     sub("<QuotaYear>2026", "<QuotaYear>2024")),
    ("labour1-KandasQuota", "kato.unknown", sub("<Kato>390000000", "<Kato>580000000")),
    ("labour1-KandasAdmission", "xsd.enumeration", sub("<Status>ADMITTED", "<Status>APPROVED")),
    ("labour1-KandasResettlement", "kato.unknown", sub("<ToKato>591010000", "<ToKato>581010000")),
    ("partner1-PartnerDeportationNotice", "date.order.executed-before-decision",
     sub("<ExecutedAt>2026-02-14", "<ExecutedAt>2026-02-08")),
    ("partner1-PartnerCitizenRegistration", "date.order.validity",
     sub("<To>2026-05-04", "<To>2026-02-01")),
    ("interior2-BorderCrossing", "country.unknown", sub("<RouteCountry>KGZ", "<RouteCountry>KGX")),
    ("interior2-BorderCrossing", "xsd.enumeration", sub("<Purpose>WORK", "<Purpose>JOB")),
    ("event1-Event", "mrz.mismatch.sex", sub("<c:Sex>M</c:Sex>", "<c:Sex>F</c:Sex>")),
]

RAW: dict[str, str] = {
    "billion-laughs--xml.dtd": BILLION_LAUGHS,
    "external-entity--xml.dtd": EXTERNAL_ENTITY,
    "deep-nesting--xml.too-deep": DEEP,
    "sdmx-message--schema.sdmx-validated-elsewhere": SDMX,
}


def main(valid: Path = VALID, out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.xml"):
        old.unlink()
    names: set[str] = set()
    for base, rule, mutate in CASES:
        text = (valid / f"{base}.xml").read_text(encoding="utf-8")
        head, rest = text.split("\n", 1)
        body = f"{head}\n<!-- expected rule: {rule} -->\n{mutate(rest)}"
        name = f"{base}--{rule}"
        n = 2
        while name in names:
            name, n = f"{base}--{rule}.{n}", n + 1
        names.add(name)
        (out / f"{name}.xml").write_text(body, encoding="utf-8")
    for name, text in RAW.items():
        (out / f"{name}.xml").write_text(text, encoding="utf-8")
    print(f"wrote {len(CASES) + len(RAW)} invalid examples to {out}")


if __name__ == "__main__":
    main()
