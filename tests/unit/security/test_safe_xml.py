"""Hardened parsing: every hostile kind is refused fast with its rule id."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from security.errors import UnsafeXmlError
from security.safe_xml import ParseLimits, parse_untrusted

EVENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Event xmlns="urn:kz:mhub:event:1"><Id>e-1</Id>'
    "<Person><Name>Әлия Нұрланқызы</Name><Birth>1990-01-02</Birth></Person></Event>"
).encode()

# Every hostile document must be refused within this budget (it is refused before
# or during a bounded parse; a vulnerable parser would take seconds or gigabytes).
BUDGET_S = 0.5
BUDGET_BYTES = 64 * 1024 * 1024


def refused(data: bytes, rule: str, limits: ParseLimits | None = None) -> UnsafeXmlError:
    """Refused with ``rule``, within the CPU and memory budgets.

    Time is this process's CPU time, measured without tracemalloc (which slows
    allocation several-fold): a loaded machine stretches wall time, not CPU time.
    """
    kwargs = {"limits": limits} if limits else {}
    start = time.process_time()
    with pytest.raises(UnsafeXmlError) as info:
        parse_untrusted(data, **kwargs)
    cpu = time.process_time() - start
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeXmlError):
            parse_untrusted(data, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.rule == rule, str(info.value)
    assert cpu < BUDGET_S
    assert peak < BUDGET_BYTES
    return info.value


class TestAccepts:
    def test_event_parses(self) -> None:
        root = parse_untrusted(EVENT)
        assert root.tag == "{urn:kz:mhub:event:1}Event"
        assert root.findtext("{urn:kz:mhub:event:1}Person/{urn:kz:mhub:event:1}Name") == (
            "Әлия Нұрланқызы"
        )

    def test_utf8_bom_and_no_declaration(self) -> None:
        assert parse_untrusted(b"\xef\xbb\xbf<a>x</a>").text == "x"
        assert parse_untrusted("<a>Қ</a>".encode()).text == "Қ"

    def test_depth_at_limit_is_accepted(self) -> None:
        limits = ParseLimits(max_depth=64)
        data = b"<a>" * 64 + b"</a>" * 64
        assert parse_untrusted(data, limits=limits).tag == "a"

    def test_wide_document_below_depth_limit(self) -> None:
        data = b"<r>" + b"<a><b/></a>" * 5000 + b"</r>"
        assert len(parse_untrusted(data)) == 5000

    def test_other_ascii_encoding_when_allowed(self) -> None:
        limits = ParseLimits(encodings=frozenset({"utf-8", "windows-1251"}))
        data = '<?xml version="1.0" encoding="windows-1251"?><a>Алия</a>'.encode("cp1251")
        assert parse_untrusted(data, limits=limits).text == "Алия"


class TestEntities:
    def test_external_entity(self, tmp_path) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP SECRET")
        data = (
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
            "<r>&x;</r>"
        ).encode()
        err = refused(data, "xml.dtd")
        assert "TOP SECRET" not in str(err)

    def test_external_dtd_over_network(self) -> None:
        refused(b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>', "xml.dtd")

    def test_billion_laughs(self) -> None:
        ents = "".join(
            f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
        )
        data = f'<!DOCTYPE r [<!ENTITY l0 "lol">{ents}]><r>&l9;</r>'.encode()
        refused(data, "xml.dtd")

    def test_quadratic_blowup(self) -> None:
        big = "A" * 50_000
        data = f'<!DOCTYPE r [<!ENTITY a "{big}">]><r>{"&a;" * 50_000}</r>'.encode()
        refused(data, "xml.dtd")

    def test_doctype_hidden_after_long_comment(self) -> None:
        data = b"<!--" + b" " * 10_000 + b'--><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'
        refused(data, "xml.dtd")

    def test_undeclared_entity_is_malformed(self) -> None:
        refused(b"<r>&nbsp;</r>", "xml.malformed")

    def test_xinclude(self, tmp_path) -> None:
        (tmp_path / "f.xml").write_text("<secret/>")
        data = (
            '<r xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<xi:include href="{tmp_path}/f.xml"/></r>'
        ).encode()
        refused(data, "xml.xinclude")


class TestSizes:
    def test_oversized(self) -> None:
        limits = ParseLimits(max_bytes=1024)
        refused(b"<r>" + b"x" * 2000 + b"</r>", "xml.too-large", limits)

    def test_default_size_limit(self) -> None:
        refused(b"<r>" + b" " * (16 * 1024 * 1024) + b"</r>", "xml.too-large")

    def test_too_many_nodes(self) -> None:
        limits = ParseLimits(max_markup=1000)
        refused(b"<r>" + b"<a/>" * 1000 + b"</r>", "xml.too-many-nodes", limits)

    def test_too_deep(self) -> None:
        data = b"<a>" * 65 + b"</a>" * 65
        refused(data, "xml.too-deep", ParseLimits(max_depth=64))

    def test_deeper_than_libxml2_limit(self) -> None:
        refused(b"<a>" * 10_000 + b"</a>" * 10_000, "xml.too-deep")

    def test_deep_inside_wide_document(self) -> None:
        data = b"<r>" + b"<a/>" * 500 + b"<d>" * 70 + b"</d>" * 70 + b"</r>"
        refused(data, "xml.too-deep")


class TestEncoding:
    def test_undeclared_latin1(self) -> None:
        refused("<a>Müller</a>".encode("latin-1"), "xml.encoding")

    def test_declared_utf8_but_latin1_bytes(self) -> None:
        data = '<?xml version="1.0" encoding="UTF-8"?><a>Müller</a>'.encode("latin-1")
        refused(data, "xml.encoding")

    def test_declared_foreign_encoding(self) -> None:
        data = '<?xml version="1.0" encoding="windows-1251"?><a>Алия</a>'.encode()
        refused(data, "xml.encoding")

    def test_unknown_encoding(self) -> None:
        refused(b'<?xml version="1.0" encoding="X-BOGUS"?><a/>', "xml.encoding")

    def test_utf16(self) -> None:
        refused("<a>x</a>".encode("utf-16"), "xml.encoding")
        refused("<a>x</a>".encode("utf-16-le"), "xml.encoding")

    def test_bom_with_other_declaration(self) -> None:
        limits = ParseLimits(encodings=frozenset({"utf-8", "windows-1251"}))
        data = b'\xef\xbb\xbf<?xml version="1.0" encoding="windows-1251"?><a/>'
        refused(data, "xml.encoding", limits)


class TestMalformed:
    def test_not_xml(self) -> None:
        refused(b"{json: true}", "xml.malformed")

    def test_unclosed(self) -> None:
        refused(b"<a><b></a>", "xml.malformed")

    def test_str_input_is_a_programming_error(self) -> None:
        with pytest.raises(TypeError):
            parse_untrusted("<a/>")  # type: ignore[arg-type]

    def test_limits_refuse_unsafe_settings(self) -> None:
        with pytest.raises(ValueError):
            ParseLimits(max_depth=1000)
        with pytest.raises(ValueError):
            ParseLimits(encodings=frozenset({"utf-16"}))
