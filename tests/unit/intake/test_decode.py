"""decode_record: typed values for normalisation, from every valid example."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hub.errors import DocumentError
from hub.intake.decode import IdDocument, PersonName, decode_record
from hub.intake.validate import validate_record
from tests.support.examples import EXAMPLES, VALID

KZ = timezone(timedelta(hours=5))


def _decode(name: str):
    body = (EXAMPLES / "valid" / f"{name}.xml").read_bytes()
    return decode_record(validate_record(body), source="src", raw_digest="sha256:ab")


def test_border_crossing_v2() -> None:
    rec = _decode("interior2-BorderCrossing")
    assert (rec.record_type, rec.family, rec.schema_version) == ("BorderCrossing", "interior", 2)
    assert (rec.source, rec.record_id, rec.version) == ("src", "MVD-BC-000003", 1)
    assert rec.updated_at == datetime(2026, 3, 1, 10, 15, tzinfo=UTC)
    assert rec.occurred_at == datetime(2026, 2, 28, 11, 20, tzinfo=KZ)
    assert rec.fields["VehiclePlate"] == "01 KGZ 123 ABC" and rec.fields["Purpose"] == "WORK"
    p = rec.person
    assert p is not None
    assert p.documents == (IdDocument("P", "KGZ", "AC2345678", date(2029, 9, 1)),)
    assert p.names[0] == PersonName("Cyrl", "ТОКТОГУЛОВ", "АЗАМАТ", "ЭРКИНОВИЧ")
    assert (p.birth_date, p.sex, p.citizenship, p.iin) == (date(1988, 2, 29), "M", "KGZ", None)
    assert p.mrz is not None and len(p.mrz[1]) == 44
    assert rec.raw_digest == "sha256:ab"


def test_person_with_iin_and_kazakh_letters() -> None:
    rec = _decode("labour1-KandasAdmission")
    assert rec.person is not None and rec.person.iin == "790621344107"
    assert rec.person.names[0].surname == "ҚАЙРАТҰЛЫ"
    assert rec.occurred_at == datetime(2026, 1, 28, tzinfo=UTC)


def test_nested_fields_and_no_person() -> None:
    permit = _decode("labour1-WorkPermit")
    assert permit.fields["Employer.BIN"] == "050540004455"
    quota = _decode("labour1-LabourQuota")
    assert quota.person is None and quota.fields["Allotted"] == "1850"
    obs = _decode("statistics1-Observation")
    assert obs.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("path", [p for p in VALID if not p.stem.startswith("event")],
                         ids=lambda p: p.stem)
def test_every_valid_example_decodes(path: Path) -> None:
    rec = decode_record(validate_record(path.read_bytes()), source="s", raw_digest="d")
    assert rec.fields and rec.occurred_at.tzinfo is not None
    assert "Person" not in rec.fields and not any(k.startswith("Signature") for k in rec.fields)


def test_refuses_invalid_results_and_events() -> None:
    body = (EXAMPLES / "invalid" / "interior1-StayRegistration--kato.unknown.xml").read_bytes()
    with pytest.raises(DocumentError):
        decode_record(validate_record(body), source="s", raw_digest="d")
    event = (EXAMPLES / "valid" / "event1-Event.xml").read_bytes()
    with pytest.raises(DocumentError):
        decode_record(validate_record(event), source="s", raw_digest="d")
