"""Write the valid example record of every record type into schemas/examples/valid/.

The examples are the agencies' reference: real-looking people with correct
IIN and MRZ check digits. Run after changing the XSDs:
``python -m infra.schemas.build_examples`` from the checkout (the invalid examples
are made from these by ``python -m infra.schemas.build_invalid``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from hub.contract import SCHEMAS_DIR
from hub.intake.validate.checksums import make_iin, mrz_check_digit

VALID = SCHEMAS_DIR / "examples" / "valid"

NS = {
    "interior1": "urn:kz:mhub:interior:1",
    "interior2": "urn:kz:mhub:interior:2",
    "labour1": "urn:kz:mhub:labour:1",
    "partner1": "urn:kz:mhub:partner:1",
    "statistics1": "urn:kz:mhub:statistics:1",
}
COMMON = "urn:kz:mhub:common:1"


@dataclass(frozen=True)
class ExamplePerson:
    latin: tuple[str, str]  # surname, given names (ICAO Latin as in the passport)
    cyrillic: tuple[str, str, str] | None  # surname, given names, patronymic ("" if none)
    birth: date
    sex: str
    citizenship: str
    doc_type: str
    doc_number: str
    doc_expiry: date
    iin_serial: int | None = None  # an IIN is given when set
    mrz: bool = True


def mrz_lines(p: ExamplePerson) -> tuple[str, str]:
    """TD3 MRZ lines for a passport holder (ICAO 9303 part 4)."""
    name = (p.latin[0].replace(" ", "<").replace("-", "<") + "<<"
            + p.latin[1].replace(" ", "<").replace("-", "<"))
    line1 = ("P<" + p.citizenship + name).ljust(44, "<")[:44]
    number = p.doc_number[:9].ljust(9, "<")
    birth = f"{p.birth:%y%m%d}"
    expiry = f"{p.doc_expiry:%y%m%d}"
    optional = "<" * 14
    parts = [
        number + str(mrz_check_digit(number)),
        p.citizenship,
        birth + str(mrz_check_digit(birth)),
        p.sex if p.sex in "MF" else "<",
        expiry + str(mrz_check_digit(expiry)),
        optional + "<",
    ]
    composite_src = parts[0] + parts[2] + parts[4] + parts[5]
    line2 = "".join(parts) + str(mrz_check_digit(composite_src))
    assert len(line1) == 44 and len(line2) == 44, (line1, line2)
    return line1, line2


def person_xml(p: ExamplePerson, indent: str = "  ") -> str:
    i2, i3 = indent * 2, indent * 3
    out = [f"{indent}<c:Person>"]
    if p.iin_serial is not None:
        iin = make_iin(p.birth, p.sex, p.iin_serial)
        assert iin, "choose another serial"
        out.append(f"{i2}<c:IIN>{iin}</c:IIN>")
    out.append(
        f'{i2}<c:Document type="{p.doc_type}" issuingState="{p.citizenship}" '
        f'number="{p.doc_number}" expiry="{p.doc_expiry.isoformat()}"/>'
    )
    if p.mrz and p.doc_type == "P":
        l1, l2 = mrz_lines(p)
        out += [f"{i2}<c:MRZ>", f"{i3}<c:Line1>{escape(l1)}</c:Line1>",
                f"{i3}<c:Line2>{escape(l2)}</c:Line2>", f"{i2}</c:MRZ>"]
    if p.cyrillic:
        out.append(f'{i2}<c:Name script="Cyrl">')
        out.append(f"{i3}<c:Surname>{p.cyrillic[0]}</c:Surname>")
        out.append(f"{i3}<c:GivenNames>{p.cyrillic[1]}</c:GivenNames>")
        if p.cyrillic[2]:
            out.append(f"{i3}<c:Patronymic>{p.cyrillic[2]}</c:Patronymic>")
        out.append(f"{i2}</c:Name>")
    out.append(f'{i2}<c:Name script="Latn">')
    out.append(f"{i3}<c:Surname>{p.latin[0]}</c:Surname>")
    out.append(f"{i3}<c:GivenNames>{p.latin[1]}</c:GivenNames>")
    out.append(f"{i2}</c:Name>")
    out.append(f"{i2}<c:BirthDate>{p.birth.isoformat()}</c:BirthDate>")
    out.append(f"{i2}<c:Sex>{p.sex}</c:Sex>")
    out.append(f"{i2}<c:Citizenship>{p.citizenship}</c:Citizenship>")
    out.append(f"{indent}</c:Person>")
    return "\n".join(out)


UZB = ExamplePerson(("KARIMOV", "ALISHER"), ("КАРИМОВ", "АЛИШЕР", "РУСТАМОВИЧ"),
                    date(1990, 7, 15), "M", "UZB", "P", "FA1234567", date(2031, 5, 20))
KAZ = ExamplePerson(("ZHANUZAKOVA", "AIGERIM"), ("ЖАНУЗАКОВА", "АЙГЕРІМ", "БОЛАТҚЫЗЫ"),
                    date(1995, 11, 3), "F", "KAZ", "P", "N12345678", date(2030, 2, 14),
                    iin_serial=5127)
KGZ = ExamplePerson(("TOKTOGULOV", "AZAMAT"), ("ТОКТОГУЛОВ", "АЗАМАТ", "ЭРКИНОВИЧ"),
                    date(1988, 2, 29), "M", "KGZ", "P", "AC2345678", date(2029, 9, 1))
AFG = ExamplePerson(("AHMADI", "MOHAMMAD NASIR"), None,
                    date(1992, 1, 10), "M", "AFG", "P", "P01234567", date(2027, 3, 31))
MNG = ExamplePerson(("KAIRATULY", "YERBOLAT"), ("ҚАЙРАТҰЛЫ", "ЕРБОЛАТ", ""),
                    date(1979, 6, 21), "M", "MNG", "P", "E1234567", date(2028, 12, 5),
                    iin_serial=4410)
RUS = ExamplePerson(("IVANOV", "SERGEI"), ("ИВАНОВ", "СЕРГЕЙ", "ПЕТРОВИЧ"),
                    date(1983, 12, 1), "M", "RUS", "P", "751234567", date(2032, 8, 19))
TJK = ExamplePerson(("RAKHIMOVA", "NILUFAR"), ("РАХИМОВА", "НИЛУФАР", ""),
                    date(2001, 3, 8), "F", "TJK", "P", "401234567", date(2030, 11, 30))
CHN = ExamplePerson(("WANG", "LEI"), None,
                    date(1986, 9, 23), "M", "CHN", "P", "E12345678", date(2033, 4, 2))
KAZ2 = ExamplePerson(("SEITKALIYEV", "DAUREN"), ("СЕЙТҚАЛИЕВ", "ДАУРЕН", "МАРАТҰЛЫ"),
                     date(2003, 5, 17), "M", "KAZ", "ID", "048123456", date(2033, 5, 16),
                     iin_serial=1288, mrz=False)


def record(root: str, ns_key: str, record_id: str, body: str, person: ExamplePerson | None,
           *, version: int = 1, updated: str = "2026-03-01T10:15:00Z") -> str:
    head = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{root} xmlns="{NS[ns_key]}" xmlns:c="{COMMON}"\n'
            f'    recordId="{record_id}" version="{version}" updatedAt="{updated}">\n')
    parts = [person_xml(person)] if person else []
    parts.append(body.strip("\n"))
    return head + "\n".join(parts) + f"\n</{root}>\n"


EXAMPLES: dict[str, str] = {
    "interior1-BorderCrossing": record("BorderCrossing", "interior1", "MVD-BC-000001", """
  <Direction>ENTRY</Direction>
  <BorderPoint>ALA-AIR</BorderPoint>
  <CrossedAt>2026-02-28T21:40:00+05:00</CrossedAt>
  <TransportMode>AIR</TransportMode>""", UZB),
    "interior1-BorderCrossing-exit": record("BorderCrossing", "interior1", "MVD-BC-000002", """
  <Direction>EXIT</Direction>
  <BorderPoint>ZHIBEK-ZHOLY</BorderPoint>
  <CrossedAt>2026-02-27T09:05:00+05:00</CrossedAt>
  <TransportMode>ROAD</TransportMode>
  <EntryCrossedAt>2026-01-12T16:30:00+05:00</EntryCrossedAt>""", KGZ),
    "interior2-BorderCrossing": record("BorderCrossing", "interior2", "MVD-BC-000003", """
  <Direction>ENTRY</Direction>
  <BorderPoint>KOR-ROAD</BorderPoint>
  <CrossedAt>2026-02-28T11:20:00+05:00</CrossedAt>
  <TransportMode>ROAD</TransportMode>
  <VehiclePlate>01 KGZ 123 ABC</VehiclePlate>
  <Purpose>WORK</Purpose>
  <RouteCountry>KGZ</RouteCountry>""", KGZ),
    "interior1-StayRegistration": record("StayRegistration", "interior1", "MVD-SR-000101", """
  <Kato>751110000</Kato>
  <Address>г. Алматы, Бостандыкский район, ул. Тимирязева, 42, кв. 17</Address>
  <From>2026-03-01</From>
  <To>2026-05-29</To>
  <Host>ТОО «Алатау Строй», БИН 050540004455</Host>""", UZB),
    "interior1-ResidencePermit": record("ResidencePermit", "interior1", "MVD-RP-000201", """
  <PermitNumber>ВНЖ-2026-004512</PermitNumber>
  <Kind>TEMPORARY</Kind>
  <Status>ISSUED</Status>
  <DecisionDate>2026-02-20</DecisionDate>
  <ValidFrom>2026-02-21</ValidFrom>
  <ValidTo>2029-02-20</ValidTo>
  <Kato>711210000</Kato>""", TJK),
    "interior1-CitizenshipDecision": record("CitizenshipDecision", "interior1", "MVD-CD-000301", """
  <DecisionNumber>УК-2026/0187</DecisionNumber>
  <Kind>ADMISSION</Kind>
  <Outcome>GRANTED</Outcome>
  <DecisionDate>2026-02-10</DecisionDate>
  <PreviousCitizenship>MNG</PreviousCitizenship>""", MNG),
    "interior1-Violation": record("Violation", "interior1", "MVD-VL-000401", """
  <CaseNumber>АП-2026-118273</CaseNumber>
  <Kind>OVERSTAY</Kind>
  <Article>517-1</Article>
  <DetectedAt>2026-02-25T14:10:00+05:00</DetectedAt>
  <Kato>711210000</Kato>
  <Penalty>FINE</Penalty>
  <FineAmount>73840.00</FineAmount>""", KGZ),
    "interior1-Deportation": record("Deportation", "interior1", "MVD-DP-000501", """
  <CaseNumber>ДП-2026-00931</CaseNumber>
  <Kind>ADMINISTRATIVE_EXPULSION</Kind>
  <DecisionDate>2026-02-18</DecisionDate>
  <ExecutedAt>2026-02-22T06:45:00+05:00</ExecutedAt>
  <BorderPoint>ALA-AIR</BorderPoint>
  <DestinationCountry>TJK</DestinationCountry>""", TJK),
    "interior1-EntryBan": record("EntryBan", "interior1", "MVD-EB-000601", """
  <BanNumber>ЗВ-2026-00412</BanNumber>
  <Reason>DEPORTED</Reason>
  <DecisionDate>2026-02-18</DecisionDate>
  <ValidFrom>2026-02-22</ValidFrom>
  <ValidTo>2031-02-22</ValidTo>""", TJK),
    "interior1-AsylumApplication": record("AsylumApplication", "interior1", "MVD-AS-000701", """
  <ApplicationNumber>УБ-2026-0042</ApplicationNumber>
  <LodgedOn>2026-01-19</LodgedOn>
  <Kato>751110000</Kato>
  <CountryOfOrigin>AFG</CountryOfOrigin>
  <FamilyMembers>3</FamilyMembers>
  <Grounds>Преследование по признаку этнической принадлежности</Grounds>""", AFG),
    "interior1-RefugeeStatusDecision": record("RefugeeStatusDecision", "interior1",
                                              "MVD-RS-000801", """
  <ApplicationNumber>УБ-2026-0042</ApplicationNumber>
  <DecisionNumber>РБ-2026-0017</DecisionNumber>
  <Outcome>GRANTED</Outcome>
  <DecisionDate>2026-02-26</DecisionDate>
  <ValidFrom>2026-02-26</ValidFrom>
  <ValidTo>2027-02-25</ValidTo>""", AFG),
    "labour1-WorkPermit": record("WorkPermit", "labour1", "MTSZN-WP-000901", """
  <PermitNumber>РТ-2026-AST-00381</PermitNumber>
  <Action>ISSUED</Action>
  <Category>CAT3</Category>
  <Employer>
    <BIN>050540004455</BIN>
    <Name>ТОО «Алатау Строй»</Name>
  </Employer>
  <Sector>F</Sector>
  <Kato>711210000</Kato>
  <DecisionDate>2026-02-12</DecisionDate>
  <ValidFrom>2026-03-01</ValidFrom>
  <ValidTo>2027-02-28</ValidTo>""", CHN),
    "labour1-LabourQuota": record("LabourQuota", "labour1", "MTSZN-LQ-2026-75-F-CAT4", """
  <Kato>750000000</Kato>
  <Sector>F</Sector>
  <Category>CAT4</Category>
  <Year>2026</Year>
  <Allotted>1850</Allotted>
  <Used>412</Used>
  <DecisionDate>2025-12-15</DecisionDate>""", None),
    "labour1-KandasQuota": record("KandasQuota", "labour1", "MTSZN-KQ-2026-39", """
  <QuotaYear>2026</QuotaYear>
  <Kato>390000000</Kato>
  <Persons>1200</Persons>
  <DecisionNumber>ПП-2025/1047</DecisionNumber>
  <DecisionDate>2025-12-20</DecisionDate>""", None),
    "labour1-KandasAdmission": record("KandasAdmission", "labour1", "MTSZN-KA-001001", """
  <DecisionNumber>КН-2026-0311</DecisionNumber>
  <QuotaYear>2026</QuotaYear>
  <Status>ADMITTED</Status>
  <DecisionDate>2026-01-28</DecisionDate>
  <CountryOfOrigin>MNG</CountryOfOrigin>
  <Kato>391010000</Kato>
  <FamilyMembers>5</FamilyMembers>""", MNG),
    "labour1-KandasResettlement": record("KandasResettlement", "labour1", "MTSZN-KR-001101", """
  <CertificateNumber>KC-2025-018822</CertificateNumber>
  <ProgrammeYear>2026</ProgrammeYear>
  <ToKato>591010000</ToKato>
  <ArrivedOn>2026-02-16</ArrivedOn>
  <FamilyMembers>5</FamilyMembers>""", MNG),
    "partner1-PartnerBorderNotice": record("PartnerBorderNotice", "partner1", "RUS-BN-7700012", """
  <PartnerState>RUS</PartnerState>
  <Direction>EXIT</Direction>
  <BorderPoint>PETUKHOVO-RAIL</BorderPoint>
  <CrossedAt>2026-02-27T03:15:00+03:00</CrossedAt>
  <TransportMode>RAIL</TransportMode>
  <EntryCrossedAt>2026-02-02T22:50:00+03:00</EntryCrossedAt>""", KAZ),
    "partner1-PartnerDeportationNotice": record("PartnerDeportationNotice", "partner1",
                                                "RUS-DN-7700104", """
  <PartnerState>RUS</PartnerState>
  <CaseNumber>2026-77-004411</CaseNumber>
  <Reason>ILLEGAL_WORK</Reason>
  <DecisionDate>2026-02-09</DecisionDate>
  <ExecutedAt>2026-02-14T08:00:00+03:00</ExecutedAt>
  <DestinationCountry>KAZ</DestinationCountry>""", KAZ2),
    "partner1-PartnerEntryBanNotice": record("PartnerEntryBanNotice", "partner1",
                                             "UZB-EB-0000318", """
  <PartnerState>UZB</PartnerState>
  <BanNumber>EB-2026-318</BanNumber>
  <Reason>VIOLATION</Reason>
  <DecisionDate>2026-02-03</DecisionDate>
  <ValidFrom>2026-02-03</ValidFrom>
  <ValidTo>2029-02-03</ValidTo>""", KAZ2),
    "partner1-PartnerCitizenRegistration": record("PartnerCitizenRegistration", "partner1",
                                                  "RUS-CR-7700377", """
  <PartnerState>RUS</PartnerState>
  <Region>Омская область</Region>
  <Address>г. Омск, ул. Ленина, 14, кв. 3</Address>
  <From>2026-02-04</From>
  <To>2026-05-04</To>""", KAZ),
    "statistics1-Observation": record("Observation", "statistics1",
                                      "STAT-MIG-ARR-75-CIS-2026-01", """
  <Dataflow>KZ_STAT:DF_MIGRATION(1.0)</Dataflow>
  <SeriesKey>M.75.ARR.CIS</SeriesKey>
  <Kato>750000000</Kato>
  <Period>2026-01</Period>
  <Flow>ARRIVAL</Flow>
  <PartnerGroup>CIS</PartnerGroup>
  <Value>2143</Value>""", None, updated="2026-02-20T06:00:00Z"),
}


def event_example() -> str:
    """The hub's canonical event around the first border crossing, with a Merkle proof slot."""
    body = EXAMPLES["interior1-BorderCrossing"].split("\n", 1)[1]  # drop the XML declaration
    body = "\n".join("    " + line if line else line for line in body.splitlines())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Event xmlns="urn:kz:mhub:event:1">
  <EventId>6f1c2d4e-8a3b-5c7d-9e0f-112233445566</EventId>
  <EventType>border.border-crossing</EventType>
  <EventVersion>1</EventVersion>
  <OccurredAt>2026-02-28T21:40:00+05:00</OccurredAt>
  <RecordedAt>2026-03-01T10:15:02Z</RecordedAt>
  <Person>
    <PersonId>P-7Q2K9M4X</PersonId>
    <Identifier scheme="DOCUMENT" issuingState="UZB" documentType="P">FA1234567</Identifier>
    <Name form="GIVEN" script="Cyrl">
      <Surname>КАРИМОВ</Surname>
      <GivenNames>АЛИШЕР</GivenNames>
      <Patronymic>РУСТАМОВИЧ</Patronymic>
    </Name>
    <Name form="LATIN" script="Latn">
      <Surname>KARIMOV</Surname>
      <GivenNames>ALISHER</GivenNames>
    </Name>
    <BirthDate>1990-07-15</BirthDate>
    <Sex>M</Sex>
    <Citizenship>UZB</Citizenship>
  </Person>
  <Body>
{body}
  </Body>
  <Provenance>
    <Source>interior.border</Source>
    <SourceRecordId>MVD-BC-000001</SourceRecordId>
    <SourceVersion>1</SourceVersion>
    <RawDigest>sha256:{"ab" * 32}</RawDigest>
    <ReceivedAt>2026-03-01T10:15:01Z</ReceivedAt>
  </Provenance>
  <BatchProof xmlns="urn:kz:mhub:proof:1" version="1">
    <BatchId>6f1c2a9e-3b57-4d0e-9a61-0c2f7d4b8e15</BatchId>
    <Chain>intake-0</Chain>
    <Sequence>41</Sequence>
    <LeafIndex>2</LeafIndex>
    <LeafCount>4</LeafCount>
    <DigestMethod>sha256</DigestMethod>
    <Path>
      <Sibling>1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f</Sibling>
      <Sibling>2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e</Sibling>
    </Path>
  </BatchProof>
</Event>
"""


def main(out: Path = VALID) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in EXAMPLES.items():
        (out / f"{name}.xml").write_text(text, encoding="utf-8")
    (out / "event1-Event.xml").write_text(event_example(), encoding="utf-8")
    # interior v2 keeps every v1 record type unchanged except BorderCrossing: same records,
    # new namespace (the v1 files stay valid under v1).
    copies = 0
    for name, text in EXAMPLES.items():
        v2 = name.replace("interior1-", "interior2-")
        if name.startswith("interior1-") and v2 not in EXAMPLES and "BorderCrossing" not in name:
            v2_text = text.replace(NS["interior1"], NS["interior2"]).replace('-0', '-2', 1)
            (out / f"{v2}.xml").write_text(v2_text, encoding="utf-8")
            copies += 1
    print(f"wrote {len(EXAMPLES) + 1 + copies} examples to {out}")


if __name__ == "__main__":
    main()
