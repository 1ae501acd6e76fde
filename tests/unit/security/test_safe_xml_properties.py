"""``parse_untrusted`` on arbitrary bytes: it returns an element or refuses with
its own :class:`UnsafeXmlError` (a stable rule id), never any other exception.

Random bytes alone rarely get past the first byte, so the second property builds
byte soup from XML's own tokens (tags, declarations, entities, DOCTYPE, XInclude,
BOMs, invalid UTF-8), which reaches every refusal path.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from security.errors import UnsafeXmlError
from security.safe_xml import ParseLimits, parse_untrusted

RULES = {"xml.too-large", "xml.too-many-nodes", "xml.dtd", "xml.xinclude", "xml.encoding",
         "xml.too-many-attributes", "xml.too-deep", "xml.malformed"}
TOKENS = [
    b"<a>", b"</a>", b"<b x='1'>", b"</b>", b"<c/>", b"<a y=\"2\" z='3'/>", b"text", b"&amp;",
    b"&lt;", b"&bogus;", b"&#0;", b"&#x41;", b"<![CDATA[x]]>", b"<!-- c -->", b"<?pi x?>",
    b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-8"?>',
    b'<?xml version="1.0" encoding="windows-1251"?>', b"<!DOCTYPE a [<!ENTITY e 'x'>]>",
    b'<x:include xmlns:x="http://www.w3.org/2001/XInclude"/>', b"\xef\xbb\xbf", b"\xff\xfe",
    b"\x00", b"\xc3\x28", b"\xd0\x90", b"<", b">", b"=", b'"', b" ", b"\n", b"xmlns='urn:x'",
]
soup = st.lists(st.sampled_from(TOKENS), max_size=30).map(b"".join)
# Small limits so the size, markup, attribute and depth refusals are reachable.
LIMITS = ParseLimits(max_bytes=400, max_depth=4, max_markup=40, max_attributes=2,
                     max_total_attributes=6)


def parses_or_refuses(data: bytes, limits: ParseLimits) -> None:
    try:
        root = parse_untrusted(data, limits=limits)
    except UnsafeXmlError as exc:
        assert exc.rule in RULES, exc.rule
        return
    assert isinstance(root, etree._Element)
    assert len(data) <= limits.max_bytes and b"<!DOCTYPE" not in data


@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    parses_or_refuses(data, LIMITS)


@given(soup, st.sampled_from([LIMITS, ParseLimits()]))
def test_token_soup(data: bytes, limits: ParseLimits) -> None:
    parses_or_refuses(data, limits)


@given(st.integers(1, 8), st.integers(0, 4))
def test_depth_is_refused_exactly_past_the_limit(depth: int, attrs: int) -> None:
    attributes = b"".join(b" a%d='v'" % i for i in range(attrs))
    data = b"<e" + attributes + b">" + b"<e>" * (depth - 1) + b"</e>" * depth
    try:
        parse_untrusted(data, limits=LIMITS)
    except UnsafeXmlError as exc:
        assert (exc.rule == "xml.too-deep") == (depth > LIMITS.max_depth)
        assert (exc.rule == "xml.too-many-attributes") == (
            attrs > LIMITS.max_attributes and depth <= LIMITS.max_depth)
    else:
        assert depth <= LIMITS.max_depth and attrs <= LIMITS.max_attributes
