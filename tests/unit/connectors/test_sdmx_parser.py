"""SDMX parser behaviour beyond the samples: flat messages, chunked input, hostile input."""

from __future__ import annotations

import pytest

from connectors.errors import MalformedDocument
from connectors.sdmx import SdmxFormatError, parse_sdmx

MSG = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
GEN = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"

FLAT_GENERIC = f"""<?xml version="1.0"?>
<m:GenericData xmlns:m="{MSG}" xmlns:g="{GEN}">
<m:Header><m:ID>x</m:ID><m:Prepared>2024-01-01T00:00:00Z</m:Prepared>
<m:Structure structureID="S" dimensionAtObservation="AllDimensions"/></m:Header>
<m:DataSet structureRef="S">
<g:Obs><g:ObsKey><g:Value id="REF_AREA" value="75"/>
<g:Value id="TIME_PERIOD" value="2024-01"/></g:ObsKey><g:ObsValue value="5"/></g:Obs>
<g:Obs><g:ObsKey><g:Value id="REF_AREA" value="71"/>
<g:Value id="TIME_PERIOD" value="2024-02"/></g:ObsKey><g:ObsValue value="6"/></g:Obs>
</m:DataSet></m:GenericData>""".encode()


def test_flat_generic_observations_carry_their_key() -> None:
    obs = list(parse_sdmx(FLAT_GENERIC))
    assert [(o.series_key, o.period, o.value) for o in obs] == [
        ((("REF_AREA", "75"),), "2024-01", "5"),
        ((("REF_AREA", "71"),), "2024-02", "6"),
    ]


def test_byte_at_a_time_input_gives_the_same_result() -> None:
    whole = list(parse_sdmx(FLAT_GENERIC))
    trickled = list(parse_sdmx(FLAT_GENERIC[i : i + 1] for i in range(len(FLAT_GENERIC))))
    assert trickled == whole


def test_dtd_refused() -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + FLAT_GENERIC[21:]
    )
    with pytest.raises(MalformedDocument) as err:
        list(parse_sdmx(evil))
    assert err.value.rule == "xml.dtd"


def test_truncated_message_is_malformed() -> None:
    with pytest.raises(MalformedDocument) as err:
        list(parse_sdmx(FLAT_GENERIC[: len(FLAT_GENERIC) // 2]))
    assert err.value.rule == "xml.malformed"


def test_not_a_data_message() -> None:
    with pytest.raises(SdmxFormatError):
        list(parse_sdmx(b"<Structure/>"))
