"""Hardened XML parsing used by every stage that reads agency bytes.

Policy (each refusal is a :class:`security.errors.UnsafeXmlError` with a stable rule id):

=====================  ===============================================================
rule                   refused
=====================  ===============================================================
``xml.too-large``      more bytes than ``ParseLimits.max_bytes`` (checked before parsing)
``xml.too-many-nodes`` more markup (``<``) than ``ParseLimits.max_markup`` (before parsing,
                       so element count and parse memory are bounded up front)
``xml.dtd``            any ``<!DOCTYPE`` (hence no entity declarations: billion laughs,
                       quadratic blow-up and external entities never reach the parser;
                       the byte scan is complete because only ASCII-compatible
                       encodings get this far)
``xml.xinclude``       any use of the XInclude namespace (never processed, and refused so
                       no later stage can be tricked into calling ``xinclude()``)
``xml.encoding``       a BOM or declaration other than UTF-8 (or the allowed encodings),
                       or bytes that are not valid in the document's encoding
``xml.too-many-attributes``  one element with more than ``ParseLimits.max_attributes``
                       attributes, or a document with more than
                       ``ParseLimits.max_total_attributes`` (bounds the work of every later
                       stage: one finding per unexpected attribute is otherwise possible)
``xml.too-deep``       element nesting deeper than ``ParseLimits.max_depth``
``xml.malformed``      anything else libxml2 refuses
=====================  ===============================================================

Every refusal names the hub's own limit (not libxml2's), and a refusal found while
parsing carries the line and column (:class:`LocatedXmlError`).

The parser itself never loads a DTD, never substitutes an entity, never touches
the network and keeps libxml2's own resource limits (``huge_tree=False``).

Cost: the pre-checks are a few C-level scans of the bytes (well under 1 µs for
a 2 KB record). Attributes are checked only when the bytes could hold too many:
a document with no more ``=`` than the limit cannot exceed it; otherwise one
regex scan finds any start tag with too many ``=`` and only then is the tree
walked to count exactly. Depth is checked without a Python walk: a document with fewer
than ``2 * max_depth + 1`` ``<`` cannot be deeper than ``max_depth`` (every
ancestor of the deepest element needs a start and an end tag), so ordinary
records skip the check; larger documents are checked by one compiled XPath that
libxml2 evaluates level by level in C (linear in the number of elements).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from lxml import etree

from security.errors import UnsafeXmlError

# A record page from an agency is at most a few MB; anything larger is refused
# before parsing so an oversized body cannot exhaust memory.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
# Real records nest at most ~10 levels (envelope, body, record, person, name);
# 64 leaves room for SOAP envelopes and signatures (ds:Signature adds ~5).
MAX_DEPTH = 64
# Upper bound on markup constructs (tags, comments, PIs) counted as '<' bytes.
# A 16 MB page of 2 KB records holds ~8,000 records of ~100 tags; 1,000,000
# keeps libxml2's tree of the largest accepted page to roughly 100-200 MB.
MAX_MARKUP = 1_000_000
# Encodings the hub accepts. Only ASCII-compatible encodings may be allowed:
# the pre-parse scans look for ASCII markup in the raw bytes.
# Attributes of one element: hub records carry at most ~5, SDMX series and observations at
# most a few dozen (one per DSD component). 256 leaves room; far more is a flood meant to make
# every later stage (XSD, findings, output) do work per attribute.
MAX_ATTRIBUTES = 256
# Attributes in one document: a 16 MB page of 8,000 records of ~30 attributes is 240,000.
MAX_TOTAL_ATTRIBUTES = 1_000_000
DEFAULT_ENCODINGS = frozenset({"utf-8"})
_ASCII_COMPATIBLE = frozenset({"utf-8", "us-ascii", "windows-1251", "koi8-r", "iso-8859-1"})

XINCLUDE_NS = b"http://www.w3.org/2001/XInclude"
_UTF8_BOM = b"\xef\xbb\xbf"
_FOREIGN_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# libxml2 error codes that mean "the bytes do not match the encoding".
_ENCODING_ERRORS = frozenset({9, 32, 81})  # INVALID_CHAR, UNSUPPORTED_ENCODING, INVALID_ENCODING
_RESOURCE_LIMIT = 114  # libxml2's own depth/size guard (XML_ERR_RESOURCE_LIMIT)
# libxml2 appends ", line L, column C" to its message; the hub puts the place first instead.
_LIBXML_PLACE = re.compile(r",? \(?line \d+, column \d+\)?$")
_HUGE_HINT = "XML_PARSE_HUGE"  # libxml2's depth message names its own option, never shown


class LocatedXmlError(UnsafeXmlError):
    """A refusal with the place in the document it was found (1-based line and column)."""

    def __init__(self, message: str, *, rule: str, line: int | None = None,
                 column: int | None = None) -> None:
        where = f"line {line}" + (f", column {column}" if column else "") if line else ""
        super().__init__(f"{where}: {message}" if where else message, rule=rule)
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Limits for one parse; the defaults are the hub's policy."""

    max_bytes: int = MAX_DOCUMENT_BYTES
    max_depth: int = MAX_DEPTH
    max_markup: int = MAX_MARKUP
    max_attributes: int = MAX_ATTRIBUTES
    max_total_attributes: int = MAX_TOTAL_ATTRIBUTES
    encodings: frozenset[str] = field(default=DEFAULT_ENCODINGS)

    def __post_init__(self) -> None:
        if not 1 <= self.max_depth < 256:  # libxml2 refuses 256+ itself without huge_tree
            raise ValueError("max_depth must be between 1 and 255")
        if min(self.max_bytes, self.max_markup, self.max_attributes,
               self.max_total_attributes) < 1:
            raise ValueError("max_bytes, max_markup and attribute limits must be positive")
        unknown = {e.lower() for e in self.encodings} - _ASCII_COMPATIBLE
        if unknown:
            raise ValueError(f"encodings must be ASCII-compatible, not {sorted(unknown)}")
        object.__setattr__(self, "encodings", frozenset(e.lower() for e in self.encodings))
        object.__setattr__(
            self, "_too_deep", etree.XPath("(/*" + "/*" * self.max_depth + ")[1]")
        )
        # '<' then more '=' than the limit before the next '<': a start tag that may be over.
        object.__setattr__(self, "_many_equals", re.compile(
            rb"<[^<=]*(?:=[^<=]*){%d}" % (self.max_attributes + 1)))

    # set in __post_init__; slots need the name declared
    _too_deep: etree.XPath = field(init=False, repr=False, compare=False)
    _many_equals: re.Pattern[bytes] = field(init=False, repr=False, compare=False)


DEFAULT_LIMITS = ParseLimits()

_local = threading.local()


def _parser() -> etree.XMLParser:
    """One parser per thread: lxml parsers keep per-parse state."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_pis=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse_untrusted(data: bytes, *, limits: ParseLimits = DEFAULT_LIMITS) -> etree._Element:
    """Parse agency bytes into an element, refusing anything hostile (see module doc)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_untrusted takes the raw bytes as received")
    data = bytes(data)
    if len(data) > limits.max_bytes:
        raise UnsafeXmlError(
            f"document is {len(data)} bytes, the hub's limit is {limits.max_bytes}",
            rule="xml.too-large",
        )
    _check_encoding(data, limits)
    markup = data.count(b"<")
    if markup > limits.max_markup:
        raise UnsafeXmlError(
            f"document has {markup} markup constructs (tags, comments), the hub's limit is "
            f"{limits.max_markup}",
            rule="xml.too-many-nodes",
        )
    if b"<!DOCTYPE" in data:
        raise UnsafeXmlError("DTDs and entity declarations are refused", rule="xml.dtd")
    if XINCLUDE_NS in data:
        raise UnsafeXmlError("XInclude is refused", rule="xml.xinclude")
    root = _parse(data, limits)
    # A depth-d chain needs at least 2d-1 '<': skip the XPath when that is impossible.
    if markup > 2 * limits.max_depth:
        deep = limits._too_deep(root)
        if deep:
            raise LocatedXmlError(
                f"elements nest deeper than the hub's limit of {limits.max_depth} levels",
                rule="xml.too-deep", line=deep[0].sourceline)
    _check_attributes(data, root, limits)
    return root


def _parse(data: bytes, limits: ParseLimits) -> etree._Element:
    """libxml2's parse, its errors translated with their line and column."""
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        reason = _LIBXML_PLACE.sub("", exc.msg or str(exc))
        if exc.code in _ENCODING_ERRORS:
            raise LocatedXmlError(f"bad character encoding: {reason}", rule="xml.encoding",
                                  line=line, column=column) from exc
        if exc.code == _RESOURCE_LIMIT or _HUGE_HINT in str(exc):
            raise LocatedXmlError(
                f"elements nest deeper than the hub's limit of {limits.max_depth} levels",
                rule="xml.too-deep", line=line, column=column) from exc
        raise LocatedXmlError(f"not well-formed XML: {reason}", rule="xml.malformed",
                              line=line, column=column) from exc
    except ValueError as exc:  # e.g. unsupported encoding declaration on str input
        raise UnsafeXmlError(f"unreadable XML: {exc}", rule="xml.encoding") from exc


def _check_attributes(data: bytes, root: etree._Element, limits: ParseLimits) -> None:
    """Refuse attribute floods; ordinary records never get past the first byte count."""
    equals = data.count(b"=")
    if equals > limits.max_total_attributes:
        total = int(root.xpath("count(//@*)"))
        if total > limits.max_total_attributes:
            raise UnsafeXmlError(
                f"document has {total} attributes, the hub's limit is "
                f"{limits.max_total_attributes}", rule="xml.too-many-attributes")
    if equals <= limits.max_attributes or not limits._many_equals.search(data):
        return
    for el in root.iter():
        if len(el.attrib) > limits.max_attributes:
            raise LocatedXmlError(
                f"element {etree.QName(el).localname if isinstance(el.tag, str) else el.tag} "
                f"has {len(el.attrib)} attributes, the hub's limit is {limits.max_attributes} "
                "per element", rule="xml.too-many-attributes", line=el.sourceline)


def _check_encoding(data: bytes, limits: ParseLimits) -> None:
    """Refuse non-ASCII-compatible input and declarations outside the allow-list."""
    head = data[3:] if data.startswith(_UTF8_BOM) else data
    if data.startswith(_FOREIGN_BOMS) or head[:1] == b"\x00" or head[1:2] == b"\x00":
        raise UnsafeXmlError("only UTF-8 (ASCII-compatible) documents are accepted",
                              rule="xml.encoding")
    if head.startswith(b"<?xml"):
        match = _DECLARED_ENCODING.match(head[:256])
        declared = match.group(1).decode("ascii").lower() if match else "utf-8"
        if declared == "utf8":
            declared = "utf-8"
        if declared not in limits.encodings:
            raise UnsafeXmlError(
                f"declared encoding {declared!r} is not accepted "
                f"(accepted: {', '.join(sorted(limits.encodings))})",
                rule="xml.encoding",
            )
        if head is not data and declared != "utf-8":
            raise UnsafeXmlError("UTF-8 BOM with a different declared encoding",
                                  rule="xml.encoding")
