"""SDMX in every shape: cross-sectional (real standard samples and the bureau's shape),
explicit measures, SDMX 2.0 cross-sectional, error messages, and the records made of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.sdmx import SdmxErrorMessage, parse_sdmx
from connectors.statistics import ObservationMapping
from hub.cli import main
from hub.intake.validate import validate_record
from security.errors import UnsafeXmlError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sdmx"
ECB_DIMS = ("FREQ", "CURRENCY", "CURRENCY_DENOM", "EXR_TYPE", "EXR_VAR")
MIG_DIMS = ObservationMapping().dimensions
REGIONS = [("ARR", "75"), ("ARR", "71"), ("ARR", "79"), ("DEP", "75"), ("DEP", "71"),
           ("DEP", "79")]


def _sdmx_cli(capsys: pytest.CaptureFixture[str], name: str, *extra: str) -> list[dict]:
    assert main(["sdmx", *extra, str(FIXTURES / name)]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("name", ["migration_by_region_xs_ss.xml",
                                  "migration_by_region_xs_generic.xml"])
def test_by_region_every_observation_has_the_year_and_its_region(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _sdmx_cli(capsys, name)
    assert [r["period"] for r in rows] == ["2023"] * 6
    assert [(r["key"]["INDICATOR"], r["key"]["REF_AREA"]) for r in rows] == REGIONS
    assert all("TIME_PERIOD" not in r["key"] and "REF_AREA" not in r["attributes"]
               for r in rows)
    assert rows[2]["attributes"] == {"OBS_STATUS": "P"}


def test_real_cross_sectional_standard_samples_generic_and_ss_agree(
    capsys: pytest.CaptureFixture[str]
) -> None:
    dims = ",".join(ECB_DIMS)
    generic = _sdmx_cli(capsys, "ecb_exr_ng_xs_generic.xml", "--dimensions", dims)
    ss = _sdmx_cli(capsys, "ecb_exr_ng_xs_ss.xml", "--dimensions", dims)
    assert len(generic) == len(ss) == 12
    assert sorted((r["period"], tuple(r["key"].items()), r["value"]) for r in generic) == sorted(
        (r["period"], tuple(r["key"].items()), r["value"]) for r in ss)
    # the month sits on the series, the currency at observation level
    assert {r["period"] for r in ss} == {"2010-08", "2010-09", "2010-10"}
    assert {r["key"]["CURRENCY"] for r in ss} == {"CHF", "GBP", "JPY", "USD"}
    assert list(ss[0]["key"]) == list(ECB_DIMS)  # DSD order, the obs-level one included
    first = next(r for r in generic if r["key"]["CURRENCY"] == "GBP")
    assert (first["period"], first["value"]) == ("2010-08", "0.82363")
    assert first["attributes"]["COLL_METHOD"] == "Average of observations through period"


def test_explicit_measures_are_kept() -> None:
    obs = list(parse_sdmx((FIXTURES / "migration_explicit_measures_ss.xml").read_bytes()))
    assert [(o.measure, o.dimensions["INDICATOR"], o.period, o.value) for o in obs] == [
        ("ARR", "ARR", "2023", "5120"), ("DEP", "DEP", "2023", "3002")]


def test_sdmx_20_cross_sectional_period_on_the_group() -> None:
    obs = list(parse_sdmx((FIXTURES / "migration_xs_compact_20.xml").read_bytes(),
                          dimensions=MIG_DIMS))
    assert [(o.key_string, o.period, o.value) for o in obs] == [
        ("A.75.ARR.CIS", "2023", "5120"), ("A.75.DEP.CIS", "2023", "3002"),
        ("A.71.ARR.CIS", "2023", "4388")]


def test_error_message_raises_with_code_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SdmxErrorMessage) as err:
        list(parse_sdmx((FIXTURES / "error_150.xml").read_bytes()))
    assert err.value.code == "150" and "DF_MIGRATION(9.9) is unknown" in err.value.text
    assert main(["sdmx", str(FIXTURES / "error_150.xml")]) == 1
    assert "code 150: Semantic Error" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["migration_by_region_xs_ss.xml",
                                  "migration_by_region_xs_generic.xml",
                                  "migration_xs_compact_20.xml"])
def test_statistics_records_of_cross_sectional_input(name: str) -> None:
    """Real periods, distinct ids, each record valid against the statistics contract."""
    mapping = ObservationMapping()
    obs = list(parse_sdmx((FIXTURES / name).read_bytes(), dimensions=mapping.dimensions))
    ids = [mapping.record_id(o) for o in obs]
    assert len(set(ids)) == len(ids) == len(obs)
    for o in obs:
        result = validate_record(mapping.to_xml(o, "2024-03-01T06:00:00Z"))
        assert result.ok, [str(f) for f in result.findings]
        ns = {"s": "urn:kz:mhub:statistics:1"}
        assert result.element.findtext("s:Period", namespaces=ns) == "2023"
        assert result.element.findtext("s:Kato", namespaces=ns) == o.dimensions["REF_AREA"] + (
            "0000000")


def test_attribute_flood_in_a_message_is_refused() -> None:
    attrs = "".join(f' A{n}="1"' for n in range(1_000))
    body = (FIXTURES / "migration_by_region_xs_ss.xml").read_text().replace(
        '<Obs REF_AREA="71"', f'<Obs{attrs} REF_AREA="71"')
    with pytest.raises(UnsafeXmlError) as err:
        list(parse_sdmx(body.encode()))
    assert err.value.rule == "xml.too-many-attributes" and err.value.line == 18


@pytest.mark.parametrize(("body", "rule"), [
    (b'<?xml version="1.0"?><foo/>', "sdmx.format"),
    (b"not xml", "xml.malformed"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', "xml.dtd"),
])
def test_mhub_sdmx_says_why_a_file_is_no_sdmx_message(
    body: bytes, rule: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 with the rule, as documented: the parser's own errors are met at the CLI."""
    path = tmp_path / "message.xml"
    path.write_bytes(body)
    assert main(["sdmx", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: {rule}: ") and "--debug" not in err
