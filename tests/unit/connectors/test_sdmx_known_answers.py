"""Known answers for the SDMX parser: whole observations (every field), the header,
the counts and error messages, for hand-written messages of each form: 2.1 generic
with a group, 2.0 generic with a Time element, structure-specific with an explicit
measure and the DSD's dimension order, SDMX error messages. Streams, files and
chunk lists read the same.
"""

from __future__ import annotations

import io

import pytest

from connectors.sdmx import MAX_ATTRIBUTES, SdmxErrorMessage, SdmxFormatError, parse_sdmx
from connectors.sdmx_types import Header, Observation
from security.safe_xml import LocatedXmlError

MSG = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
GEN = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
COM = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
MSG20 = "http://www.SDMX.org/resources/SDMXML/schemas/v2_0/message"
GEN20 = "http://www.SDMX.org/resources/SDMXML/schemas/v2_0/generic"
SS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

GENERIC_21 = f"""<m:GenericData xmlns:m="{MSG}" xmlns:g="{GEN}">
<m:Header><m:ID> IREF1 </m:ID><m:Prepared> 2024-05-01T00:00:00Z </m:Prepared>
<m:Sender id="KZSTAT"/><m:Structure structureID="STR1"/></m:Header>
<m:DataSet structureRef="STR1">
<g:Group><g:GroupKey><g:Value id="REF_AREA" value="75"/></g:GroupKey>
<g:Attributes><g:Value id="TITLE" value="Almaty"/></g:Attributes></g:Group>
<g:Series><g:SeriesKey><g:Value id="FREQ" value="A"/><g:Value id="REF_AREA" value="75"/>
</g:SeriesKey>
<g:Attributes><g:Value id="UNIT" value="PERS"/></g:Attributes>
<g:Obs><g:ObsDimension value="2023"/><g:ObsValue value="12"/>
<g:Attributes><g:Value id="OBS_STATUS" value="A"/></g:Attributes></g:Obs>
<g:Obs><g:ObsDimension value="2024"/></g:Obs>
</g:Series>
<g:Series><g:SeriesKey><g:Value id="FREQ" value="A"/><g:Value id="REF_AREA" value="71"/>
</g:SeriesKey>
<g:Obs><g:ObsDimension value="2023"/><g:ObsValue value="7"/></g:Obs></g:Series>
</m:DataSet></m:GenericData>""".encode()

GENERIC_20 = f"""<m:GenericData xmlns:m="{MSG20}" xmlns:g="{GEN20}">
<m:Header><m:ID>OLD</m:ID><m:Prepared>2010-01-01</m:Prepared><m:Sender id="STAT"/>
</m:Header>
<g:DataSet><g:KeyFamilyRef>MIG</g:KeyFamilyRef>
<g:Series><g:SeriesKey><g:Value concept="FREQ" value="Q"/>
<g:Value concept="REF_AREA" value="75"/></g:SeriesKey>
<g:Obs><g:Time> 2009-Q4 </g:Time><g:ObsValue value="3"/></g:Obs></g:Series>
</g:DataSet></m:GenericData>""".encode()

ERROR = f"""<m:Error xmlns:m="{MSG}" xmlns:c="{COM}">
<m:ErrorMessage code="150"><c:Text>Semantic   error</c:Text><c:Text> in query </c:Text>
</m:ErrorMessage>
<m:ErrorMessage code="500"><c:Text>Server</c:Text></m:ErrorMessage></m:Error>""".encode()
EMPTY_ERROR = f'<m:Error xmlns:m="{MSG}"/>'.encode()

SS_MEASURE = f"""<m:StructureSpecificData xmlns:m="{MSG}" xmlns:ss="{SS}" xmlns:xsi="{XSI}">
<m:Header><m:ID>M</m:ID><m:Structure structureID="S2" dimensionAtObservation="REF_AREA"/></m:Header>
<m:DataSet ss:structureRef="S2" TIME_PERIOD="2023" action="Replace">
<Series FREQ="A"><Obs REF_AREA="75" OBS_VALUE="5" xsi:type="ns:ARR"/><Obs REF_AREA="71"/></Series>
</m:DataSet></m:StructureSpecificData>""".encode()

A75 = (("FREQ", "A"), ("REF_AREA", "75"))


def test_generic_21_observations_header_and_counts() -> None:
    stream = parse_sdmx(GENERIC_21)
    assert list(stream) == [
        Observation("STR1", A75, "2023", "12", {"TITLE": "Almaty", "UNIT": "PERS",
                                                 "OBS_STATUS": "A"}, "TIME_PERIOD", A75, ""),
        Observation("STR1", A75, "2024", None, {"TITLE": "Almaty", "UNIT": "PERS"},
                    "TIME_PERIOD", A75, ""),
        Observation("STR1", (("FREQ", "A"), ("REF_AREA", "71")), "2023", "7", {},
                    "TIME_PERIOD", (("FREQ", "A"), ("REF_AREA", "71")), ""),
    ]
    assert stream.header == Header("IREF1", "2024-05-01T00:00:00Z", "KZSTAT",
                                   {"STR1": "TIME_PERIOD"})
    assert (stream.message_type, stream.dataset_count, stream.group_count,
            stream.series_count, stream.observation_count) == ("GenericData", 1, 1, 2, 3)


def test_dimensions_order_the_key() -> None:
    first = next(iter(parse_sdmx(GENERIC_21, dimensions=["REF_AREA", "FREQ"])))
    assert first.key == (("REF_AREA", "75"), ("FREQ", "A")) and first.series_key == A75


def test_generic_20_time_element_and_concepts() -> None:
    stream = parse_sdmx(GENERIC_20)
    q75 = (("FREQ", "Q"), ("REF_AREA", "75"))
    assert list(stream) == [Observation("", q75, "2009-Q4", "3", {}, "TIME", q75, "")]
    assert stream.header == Header("OLD", "2010-01-01", "STAT", {})


def test_structure_specific_measure_and_dataset_level_time() -> None:
    stream = parse_sdmx(SS_MEASURE)
    assert list(stream) == [
        Observation("S2", (("FREQ", "A"),), "2023", "5", {}, "TIME_PERIOD",
                    (("FREQ", "A"), ("REF_AREA", "75"), ("MEASURE", "ARR")), "ARR"),
        Observation("S2", (("FREQ", "A"),), "2023", None, {}, "TIME_PERIOD",
                    (("FREQ", "A"), ("REF_AREA", "71")), ""),
    ]
    assert stream.header.structures == {"S2": "REF_AREA"}
    assert (stream.series_count, stream.observation_count) == (1, 2)


def test_measure_takes_the_first_dimension_the_observation_lacks() -> None:
    obs = list(parse_sdmx(SS_MEASURE, dimensions=["REF_AREA", "FREQ", "INDICATOR"]))
    assert obs[0].key == (("REF_AREA", "75"), ("FREQ", "A"), ("INDICATOR", "ARR"))
    assert obs[1].key == (("REF_AREA", "71"), ("FREQ", "A"))


def test_error_messages_keep_every_code_and_text() -> None:
    with pytest.raises(SdmxErrorMessage) as err:
        list(parse_sdmx(ERROR))
    assert str(err.value) == "SDMX error 150: Semantic   error in query; Server"
    assert (err.value.rule, err.value.code, err.value.text) == (
        "sdmx.error", "150", "Semantic   error in query; Server")
    with pytest.raises(SdmxErrorMessage) as empty:
        list(parse_sdmx(EMPTY_ERROR))
    assert (str(empty.value), empty.value.code, empty.value.text) == (
        "SDMX error : (no text)", "", "(no text)")


@pytest.mark.parametrize("message", [GENERIC_21, GENERIC_20, SS_MEASURE])
def test_bytes_files_and_chunks_read_the_same(message: bytes) -> None:
    whole = list(parse_sdmx(message))
    assert list(parse_sdmx(io.BytesIO(message))) == whole
    assert list(parse_sdmx(bytearray(message))) == whole
    assert list(parse_sdmx([message[i:i + 7] for i in range(0, len(message), 7)])) == whole
FOOTER_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message/footer"
FOOTER = f"""<m:StructureSpecificData xmlns:m="{MSG}" xmlns:f="{FOOTER_NS}" xmlns:c="{COM}">
<m:Header><m:ID>F</m:ID></m:Header><m:Footer><f:Message code="413" severity="Information">
<c:Text>Result written</c:Text><c:Text> to a file </c:Text></f:Message></m:Footer>
</m:StructureSpecificData>""".encode()
GENERIC_DS_ATTRS = f"""<m:GenericData xmlns:m="{MSG}" xmlns:g="{GEN}">
<m:DataSet structureRef="S"><g:Attributes><g:Value id="UNIT_MULT" value="3"/></g:Attributes>
<g:Series><g:SeriesKey><g:Value id="REF_AREA" value="75"/></g:SeriesKey>
<g:Obs><g:ObsDimension id="TIME_PERIOD" value="2023"/><g:ObsValue value="1"/></g:Obs>
</g:Series></m:DataSet></m:GenericData>""".encode()
SIBLING = f"""<m:StructureSpecificData xmlns:m="{MSG}" xmlns:ss="{SS}">
<m:DataSet ss:structureRef="S3">
<SiblingGroup REF_AREA="75" TITLE="Almaty"/><Group REF_AREA="71" TITLE="Shymkent"/>
<Series REF_AREA="75" FREQ="A"><Obs TIME_PERIOD="2023" OBS_VALUE="4" OBS_STATUS="F"/></Series>
<Series REF_AREA="11" FREQ="A"><Obs TIME_PERIOD="2023" OBS_VALUE="2"/></Series>
</m:DataSet></m:StructureSpecificData>""".encode()
KEYFAMILY = b"""<m:CompactData xmlns:m="http://www.SDMX.org/resources/SDMXML/schemas/v2_0/message"
 xmlns:d="urn:example:compact"><d:DataSet keyFamilyURI="urn:kf:MIG">
<d:Series FREQ="A" REF_AREA="75"><d:Obs TIME_PERIOD="2020" OBS_VALUE="9"/></d:Series>
</d:DataSet></m:CompactData>"""


def test_footer_messages_are_kept_without_data() -> None:
    stream = parse_sdmx(FOOTER)
    assert list(stream) == []
    assert stream.footer == [("413", "Result written to a file")]
    assert (stream.dataset_count, stream.series_count, stream.header.id) == (0, 0, "F")


def test_generic_data_set_attributes_reach_every_observation() -> None:
    r75 = (("REF_AREA", "75"),)
    assert list(parse_sdmx(GENERIC_DS_ATTRS)) == [
        Observation("S", r75, "2023", "1", {"UNIT_MULT": "3"}, "TIME_PERIOD", r75, "")]


def test_sibling_and_plain_groups_attach_to_matching_series_only() -> None:
    stream = parse_sdmx(SIBLING)
    k75, k11 = (("REF_AREA", "75"), ("FREQ", "A")), (("REF_AREA", "11"), ("FREQ", "A"))
    assert list(stream) == [
        Observation("S3", k75, "2023", "4", {"TITLE": "Almaty", "OBS_STATUS": "F"},
                    "TIME_PERIOD", k75, ""),
        Observation("S3", k11, "2023", "2", {}, "TIME_PERIOD", k11, ""),
    ]
    assert (stream.group_count, stream.series_count, stream.observation_count) == (2, 2, 2)


def test_sdmx_20_key_family_names_the_data_set() -> None:
    key = (("FREQ", "A"), ("REF_AREA", "75"))
    assert list(parse_sdmx(KEYFAMILY)) == [
        Observation("urn:kf:MIG", key, "2020", "9", {}, "TIME_PERIOD", key, "")]


def _wide(n: int) -> bytes:
    attrs = " ".join(f'A{i}="v"' for i in range(n))
    return (f'<m:StructureSpecificData xmlns:m="{MSG}"><m:DataSet><Series {attrs}>'
            '<Obs TIME_PERIOD="1"/></Series></m:DataSet></m:StructureSpecificData>').encode()


def test_attribute_limit_is_exact() -> None:
    assert len(list(parse_sdmx(_wide(MAX_ATTRIBUTES)))) == 1
    with pytest.raises(LocatedXmlError) as err:
        list(parse_sdmx(_wide(MAX_ATTRIBUTES + 1)))
    assert err.value.rule == "xml.too-many-attributes"
    assert f"element Series has {MAX_ATTRIBUTES + 1} attributes, the hub's limit is " \
        f"{MAX_ATTRIBUTES} per element" in str(err.value)


def test_a_structure_message_is_not_data() -> None:
    with pytest.raises(SdmxFormatError) as err:
        list(parse_sdmx(f'<m:Structure xmlns:m="{MSG}"/>'.encode()))
    assert (str(err.value), err.value.rule) == (
        "not an SDMX data message: <Structure>", "sdmx.format")

BARE_GENERIC = f"""<m:GenericData xmlns:m="{MSG}" xmlns:g="{GEN}">
<m:Header><m:ID/><m:Prepared/><m:Sender/><m:Structure dimensionAtObservation="AllDimensions"/>
</m:Header><m:DataSet>
<g:Series><g:SeriesKey><g:Value id="FREQ"/><g:Value value="x"/></g:SeriesKey>
<g:Obs><g:ObsDimension value="2024"/><g:ObsValue value="1"/></g:Obs>
<g:Obs><g:ObsDimension/></g:Obs></g:Series></m:DataSet></m:GenericData>""".encode()
OBS_LEVEL_AREA = f"""<m:GenericData xmlns:m="{MSG}" xmlns:g="{GEN}"><m:DataSet>
<g:Series><g:SeriesKey><g:Value id="TIME_PERIOD" value="2023"/></g:SeriesKey>
<g:Obs><g:ObsDimension id="REF_AREA" value="75"/><g:ObsValue value="8"/></g:Obs></g:Series>
</m:DataSet></m:GenericData>""".encode()
TWO_STRUCTURES = f"""<m:StructureSpecificData xmlns:m="{MSG}" xmlns:ss="{SS}" xmlns:xsi="{XSI}">
<m:Header><m:Structure structureID="S1"/><m:Structure structureID="S2"
 dimensionAtObservation="REF_AREA"/></m:Header>
<m:DataSet ss:structureRef="S2" TIME_PERIOD="2022" UNIT="PERS">
<Series FREQ="A"><Obs REF_AREA="75" OBS_VALUE="1" xsi:type="ARR"/>
<Obs REF_AREA="71" OBS_VALUE="2" xsi:type="a:b:DEP"/></Series></m:DataSet>
<m:DataSet ss:structureRef="S1"><Series FREQ="A" REF_AREA="75"><Obs OBS_VALUE="3"/></Series>
</m:DataSet></m:StructureSpecificData>""".encode()


def test_absent_values_read_as_empty() -> None:
    """Empty header fields, ids and values are '' (an absent ObsValue is None), and an
    AllDimensions observation dimension without id is the period."""
    stream = parse_sdmx(BARE_GENERIC)
    key = (("FREQ", ""), ("", "x"))
    assert list(stream) == [
        Observation("", key, "2024", "1", {}, "TIME_PERIOD", key, ""),
        Observation("", key, "", None, {}, "TIME_PERIOD", key, ""),
    ]
    assert stream.header == Header("", "", "", {"": "AllDimensions"})


def test_observation_level_dimension_named_by_its_id() -> None:
    assert list(parse_sdmx(OBS_LEVEL_AREA)) == [
        Observation("", (), "2023", "8", {}, "TIME_PERIOD", (("REF_AREA", "75"),), "")]


def test_each_data_set_reads_its_own_structure() -> None:
    stream = parse_sdmx(TWO_STRUCTURES)
    fa, f75 = (("FREQ", "A"),), (("FREQ", "A"), ("REF_AREA", "75"))
    assert list(stream) == [
        Observation("S2", fa, "2022", "1", {"UNIT": "PERS"}, "TIME_PERIOD",
                    (*fa, ("REF_AREA", "75"), ("MEASURE", "ARR")), "ARR"),
        Observation("S2", fa, "2022", "2", {"UNIT": "PERS"}, "TIME_PERIOD",
                    (*fa, ("REF_AREA", "71"), ("MEASURE", "DEP")), "DEP"),
        # no time anywhere: no period, the default time dimension
        Observation("S1", f75, "", "3", {}, "TIME_PERIOD", f75, ""),
    ]
    assert (stream.dataset_count, stream.series_count, stream.observation_count) == (2, 2, 3)


def test_error_message_without_code() -> None:
    doc = f'<m:Error xmlns:m="{MSG}"><m:ErrorMessage>down</m:ErrorMessage></m:Error>'
    with pytest.raises(SdmxErrorMessage) as err:
        list(parse_sdmx(doc.encode()))
    assert (err.value.code, err.value.text, str(err.value)) == ("", "down", "SDMX error : down")


M20 = "http://www.SDMX.org/resources/SDMXML/schemas/v2_0/message"
XS_20 = f"""<m:CrossSectionalData xmlns:m="{M20}" xmlns:x="urn:example:xs"><x:DataSet FREQ="A">
<x:Group TIME_PERIOD="2021" UNIT="PERS"><x:Section REF_AREA="75">
<x:ARR value="5" OBS_STATUS="A"/><x:DEP/></x:Section></x:Group>
<x:Group TIME_PERIOD="2022"><x:Section REF_AREA="71"><x:ARR value="6"/></x:Section></x:Group>
</x:DataSet></m:CrossSectionalData>""".encode()


def test_sdmx_20_cross_sectional_measures_sections_and_groups() -> None:
    """The element names the measure, the Section is the series, the Group carries the
    period and its attributes to its sections only; a measure without value is None."""
    stream = parse_sdmx(XS_20, dimensions=["FREQ", "REF_AREA", "INDICATOR"])
    a75, a71 = (("FREQ", "A"), ("REF_AREA", "75")), (("FREQ", "A"), ("REF_AREA", "71"))
    assert list(stream) == [
        Observation("", (("REF_AREA", "75"),), "2021", "5", {"UNIT": "PERS", "OBS_STATUS": "A"},
                    "TIME_PERIOD", (*a75, ("INDICATOR", "ARR")), "ARR"),
        Observation("", (("REF_AREA", "75"),), "2021", None, {"UNIT": "PERS"},
                    "TIME_PERIOD", (*a75, ("INDICATOR", "DEP")), "DEP"),
        Observation("", (("REF_AREA", "71"),), "2022", "6", {}, "TIME_PERIOD",
                    (*a71, ("INDICATOR", "ARR")), "ARR"),
    ]
    assert (stream.message_type, stream.group_count, stream.series_count,
            stream.observation_count) == ("CrossSectionalData", 2, 2, 3)
