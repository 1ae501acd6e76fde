"""Hardened XML parsing used by every stage that reads agency bytes.

No DTD is loaded, no entity is expanded, nothing is fetched from the network,
and size and depth are bounded, so a hostile document costs bounded time and
memory and is refused with :class:`hub.errors.HostileXmlError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from hub.errors import HostileXmlError

# A record page from an agency is at most a few MB; anything larger is refused
# before parsing so an oversized body cannot exhaust memory.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
# Real records nest at most ~10 levels (envelope, body, record, person, name).
MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class ParseLimits:
    max_bytes: int = MAX_DOCUMENT_BYTES
    max_depth: int = MAX_DEPTH


DEFAULT_LIMITS = ParseLimits()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=False,
        collect_ids=False,
    )


_PARSER = _parser()


def parse_untrusted(data: bytes, *, limits: ParseLimits = DEFAULT_LIMITS) -> etree._Element:
    """Parse agency bytes, refusing DTDs, entities, oversize and deep nesting."""
    if len(data) > limits.max_bytes:
        raise HostileXmlError(
            f"document is {len(data)} bytes, limit {limits.max_bytes}", rule="xml.too-large"
        )
    head = data[:4096]
    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
        raise HostileXmlError("DTDs and entity declarations are refused", rule="xml.dtd")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise HostileXmlError(f"not well-formed XML: {exc}", rule="xml.malformed") from exc
    except ValueError as exc:  # e.g. unsupported encoding declaration
        raise HostileXmlError(f"unreadable XML: {exc}", rule="xml.encoding") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise HostileXmlError("DTDs are refused", rule="xml.dtd")
    depth = _max_depth(root, limits.max_depth)
    if depth > limits.max_depth:
        raise HostileXmlError(
            f"nesting deeper than {limits.max_depth}", rule="xml.too-deep"
        )
    return root


def _max_depth(root: etree._Element, limit: int) -> int:
    deepest = 0
    for el in root.iter():
        d = 0
        p = el
        while p is not None and d <= limit:
            p = p.getparent()
            d += 1
        if d > deepest:
            deepest = d
            if deepest > limit:
                break
    return deepest
