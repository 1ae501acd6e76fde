"""The validate stage's behaviour beyond the examples: versions, hostile XML, paths, streams."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from lxml import etree

from connectors.base import RawRecord
from hub.intake.validate import (
    split_records,
    validate_element,
    validate_record,
    validate_records,
    validate_stream,
)
from hub.intake.validate.catalog import default_catalog
from hub.intake.validate.validator import MAX_FINDINGS_PER_RECORD
from hub.model.findings import Finding
from security.safe_xml import MAX_DOCUMENT_BYTES
from tests.support.examples import EXAMPLES

BC1 = (EXAMPLES / "valid" / "interior1-BorderCrossing.xml").read_bytes()
BC2 = (EXAMPLES / "valid" / "interior2-BorderCrossing.xml").read_bytes()
NSMAP = {"c": "urn:kz:mhub:common:1", "int": "urn:kz:mhub:interior:1",
         "int2": "urn:kz:mhub:interior:2"}


class TestSchemaCache:
    def test_compiled_once_and_reused(self) -> None:
        catalog = default_catalog()
        validate_record(BC1)
        first = catalog.get("urn:kz:mhub:interior:1")
        validate_record(BC1)
        assert catalog.get("urn:kz:mhub:interior:1") is first

    def test_catalog_maps_every_schema_file(self) -> None:
        catalog = default_catalog()
        on_disk = set(catalog.schemas_dir.glob("*/v*/*.xsd"))
        assert set(catalog.files.values()) == {p.resolve() for p in on_disk}


class TestVersions:
    def test_v1_and_v2_picked_by_namespace(self) -> None:
        r1, r2 = validate_record(BC1), validate_record(BC2)
        assert (r1.ok, r1.version, r1.family) == (True, 1, "interior")
        assert (r2.ok, r2.version, r2.record_type) == (True, 2, "BorderCrossing")

    def test_v2_fields_under_v1_namespace_are_refused(self) -> None:
        body = BC2.replace(b"urn:kz:mhub:interior:2", b"urn:kz:mhub:interior:1")
        result = validate_record(body)
        assert result.rules == ("xsd.element-content",)
        assert "VehiclePlate" in result.findings[0].message

    @pytest.mark.parametrize("namespace", [b"urn:kz:mhub:interior:9", b"urn:example:other", b""])
    def test_unknown_namespace_is_a_finding(self, namespace: bytes) -> None:
        body = BC1.replace(b'xmlns="urn:kz:mhub:interior:1"',
                           b'xmlns="' + namespace + b'"' if namespace else b"")
        result = validate_record(body, source="s", record_id="r")
        assert result.rules == ("schema.unknown-namespace",)
        assert result.findings[0].record_id == "r"
        assert "urn:kz:mhub:interior:1" in result.findings[0].message  # lists the known ones


class TestHostileXml:
    def test_billion_laughs_is_a_finding(self) -> None:
        body = (EXAMPLES / "invalid" / "billion-laughs--xml.dtd.xml").read_bytes()
        result = validate_record(body, source="s", record_id="r", raw_digest="d")
        assert result.element is None and result.rules == ("xml.dtd",)
        assert (result.findings[0].source, result.findings[0].raw_digest) == ("s", "d")

    def test_external_entity_is_never_read(self) -> None:
        body = (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
                b'<r xmlns="urn:kz:mhub:interior:1">&x;</r>')
        assert validate_record(body).rules == ("xml.dtd",)

    def test_too_large(self) -> None:
        body = b"<r>" + b" " * MAX_DOCUMENT_BYTES + b"</r>"
        assert validate_record(body).rules == ("xml.too-large",)

    @pytest.mark.parametrize("body", [b"", b"<a>", b"not xml", b"\xff\xfe<"])
    def test_garbage_never_raises(self, body: bytes) -> None:
        result = validate_record(body)
        assert not result.ok and result.findings[0].rule.startswith("xml.")

    def test_unknown_encoding(self) -> None:
        body = b'<?xml version="1.0" encoding="X-NO-SUCH"?><r/>'
        assert validate_record(body).rules[0] in {"xml.encoding", "xml.malformed"}


class TestFindings:
    def test_xpath_and_line_point_at_the_field(self) -> None:
        body = BC1.replace(b"<c:Sex>M</c:Sex>", b"<c:Sex>Q</c:Sex>")
        (finding,) = validate_record(body).findings
        assert finding.xpath == "/int:BorderCrossing/c:Person/c:Sex"
        root = etree.fromstring(body)
        (node,) = root.getroottree().xpath(finding.xpath, namespaces=NSMAP)
        assert node.text == "Q" and finding.line == node.sourceline

    def test_rule_xpath_names_repeated_elements_and_attributes(self) -> None:
        body = BC1.replace(b'issuingState="UZB"', b'issuingState="ZZZ"')
        findings = validate_record(body).findings
        paths = {f.rule: f.xpath for f in findings}
        assert paths["country.unknown"] == "/int:BorderCrossing/c:Person/c:Document/@issuingState"

    def test_record_id_from_the_record_when_not_given(self) -> None:
        body = BC1.replace(b"<c:Sex>M</c:Sex>", b"<c:Sex>Q</c:Sex>")
        assert validate_record(body).findings[0].record_id == "MVD-BC-000001"

    def test_rules_use_the_given_clock(self) -> None:
        root = etree.fromstring(BC1)
        past = datetime(2026, 2, 1, tzinfo=UTC)
        assert validate_element(root, now=past).rules == ("date.updated-in-future",)
        assert validate_element(root).ok


class TestStreamsAndPages:
    def test_validate_stream_is_lazy_and_pairs_records(self) -> None:
        bad = BC1.replace(b">AIR<", b">BUS<")
        raws = [RawRecord("interior.border", f"r{i}", body)
                for i, body in enumerate([BC1, bad, BC2])]
        pairs = validate_stream(iter(raws))
        raw, result = next(pairs)
        assert raw is raws[0] and result.ok
        rest = list(pairs)
        assert [r.ok for _, r in rest] == [False, True]
        f = rest[0][1].findings[0]
        assert (f.source, f.record_id, f.raw_digest) == ("interior.border", "r1", raws[1].digest)

    def test_split_page_of_mixed_records(self) -> None:
        page = (b'<RecordPage feed="interior" first="0" count="2">'
                + BC1.split(b"?>", 1)[1] + BC2.split(b"?>", 1)[1] + b"</RecordPage>")
        records = split_records(etree.fromstring(page))
        assert [etree.QName(r).namespace for r in records] == [
            "urn:kz:mhub:interior:1", "urn:kz:mhub:interior:2"]
        assert all(validate_element(r).ok for r in records)

    def test_unknown_wrapper_is_judged_as_a_record_not_searched(self) -> None:
        page = (b'<Page xmlns="urn:agency:page"><Items>'
                + BC1.split(b"?>", 1)[1] + b"</Items></Page>")
        (result,) = validate_records(etree.fromstring(page))
        assert not result.ok and result.rules == ("schema.unknown-namespace",)

    def test_person_block_is_never_a_record(self) -> None:
        person = etree.fromstring(BC1).find("c:Person", NSMAP)
        for root in (person, etree.fromstring(b"<Batch>" + etree.tostring(person) + b"</Batch>")):
            (result,) = validate_records(root)
            assert result.rules == ("schema.unknown-record",)
            assert "never a record on its own" in result.findings[0].message

    def test_misspelled_record_in_a_page_fails_beside_a_good_one(self) -> None:
        typo = BC1.split(b"?>", 1)[1].replace(b"BorderCrossing", b"BorderCrosing")
        page = b"<RecordPage>" + BC2.split(b"?>", 1)[1] + typo + b"</RecordPage>"
        good, bad = validate_records(etree.fromstring(page))
        assert good.ok and bad.rules == ("schema.unknown-record",)

    def test_soap_response_records_inline_attachment_and_strays(self) -> None:
        soap, smev = "http://www.w3.org/2003/05/soap-envelope", "urn:kz:mhub:smev:1"
        inline = BC1.split(b"?>", 1)[1].decode()
        attached = base64.b64encode(BC2).decode()
        doc = (f'<s:Envelope xmlns:s="{soap}"><s:Header/><s:Body><GetResponse xmlns="{smev}">'
               f'<Message messageId="1"><PrimaryContent>{inline}</PrimaryContent></Message>'
               f'<Message messageId="2"><AttachmentContent>{attached}</AttachmentContent>'
               f'</Message><Message messageId="3"><Stray/></Message>'
               "</GetResponse></s:Body></s:Envelope>")
        results = validate_records(etree.fromstring(doc.encode()))
        assert [r.ok for r in results] == [True, True, False]
        assert results[1].record_type == "BorderCrossing" and results[1].version == 2
        assert results[2].rules == ("schema.unknown-namespace",)


class TestBoundedWork:
    def test_findings_are_capped_per_record_with_a_count_of_the_rest(self) -> None:
        attrs = b"".join(b' x%d="1"' % n for n in range(250))
        body = BC1.replace(b' recordId=', attrs + b' recordId=', 1)
        result = validate_record(body, record_id="R")
        assert len(result.findings) == MAX_FINDINGS_PER_RECORD + 1
        assert {f.rule for f in result.findings[:-1]} == {"xsd.unexpected-attribute"}
        last = result.findings[-1]
        assert last.rule == "findings.truncated" and last.message.startswith("150 more")

    def test_attribute_flood_is_refused_by_the_parser_with_its_line(self) -> None:
        attrs = b"".join(b' x%d="1"' % n for n in range(5_000))
        result = validate_record(BC1.replace(b' recordId=', attrs + b' recordId=', 1))
        (finding,) = result.findings
        assert finding.rule == "xml.too-many-attributes" and finding.line == 3
        assert "the hub's limit is 256" in finding.message

    def test_long_values_are_cut_in_messages(self) -> None:
        body = BC1.replace(b">ALA-AIR<", b">" + b"A" * 100_000 + b"<")
        (finding,) = validate_record(body).findings
        assert len(finding.message) < 600 and "characters)" in finding.message

    def test_parse_failure_has_line_and_column(self) -> None:
        (finding,) = validate_record(b'<?xml version="1.0"?>\n<a>\n  <b></c></a>').findings
        assert finding.rule == "xml.malformed" and finding.line == 3
        assert finding.message.startswith("line 3, column ")
        # the column is a field too, so the DLQ and `--json` readers need not parse messages
        assert finding.column == 10 and "(line 3, column 10)" in str(finding)
        assert Finding.from_dict(finding.to_dict()) == finding

    def test_deep_nesting_names_the_hubs_limit(self) -> None:
        for depth in (80, 300):
            (finding,) = validate_record(b"<a>" * depth + b"</a>" * depth).findings
            assert finding.rule == "xml.too-deep"
            assert "the hub's limit of 64 levels" in finding.message
            assert "XML_PARSE_HUGE" not in finding.message


    def test_record_inside_page_reports_its_own_errors(self) -> None:
        bad = BC1.replace(b">AIR<", b">BUS<").split(b"?>", 1)[1]
        root = etree.fromstring(b"<Batch>" + BC2.split(b"?>", 1)[1] + bad + b"</Batch>")
        good, wrong = (validate_element(r) for r in split_records(root))
        assert good.ok
        (finding,) = wrong.findings
        assert finding.rule == "xsd.enumeration"
        assert finding.xpath == "/Batch/int:BorderCrossing/int:TransportMode"
        (node,) = root.getroottree().xpath(finding.xpath, namespaces=NSMAP)
        assert node.text == "BUS" and node.sourceline == finding.line
