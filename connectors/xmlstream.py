"""Splitting agency transport documents (pages, batch files) into record documents.

A page or batch file is transport; the hub validates each record alone. These
helpers cut a document into its top-level children, each serialised as a
standalone document, with the same hardening as :mod:`security.safe_xml`: no
DTD, no entity expansion, no network, libxml2's default size and depth limits
(``huge_tree=False``). A document that cannot be split is not dropped: the
caller hands it on whole so the validate stage quarantines it with the rule.

Envelopes (``<RecordPage>``, ``<Batch>``) are in no namespace, so a record cut
out of them carries only its own namespace declarations. :data:`ENVELOPES` names
every transport wrapper the connectors receive (REST page, file-drop batch, SOAP
``GetResponse``); records are found only where these say, so the validate stage
can judge a file exactly as the connectors cut it. Any other root is a record
document by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from connectors.errors import MalformedDocument

# Agencies put the XML declaration and at most a comment before the root; a
# DOCTYPE, if any, sits in the first few hundred bytes. 4 KB covers that.
HEAD_BYTES = 4096
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
# recordId of a record that cannot be parsed, read from its first bytes only so an
# operator still sees which record it was.
_RECORD_ID = re.compile(rb'recordId\s*=\s*["\']([A-Za-z0-9._:-]{1,64})["\']')


SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
SMEV_NS = "urn:kz:mhub:smev:1"
PAGE_ENVELOPE = "RecordPage"  # REST page (interior, labour), no namespace
BATCH_ENVELOPE = "Batch"  # file-drop batch (labour), no namespace


@dataclass(frozen=True, slots=True)
class Envelope:
    """A transport wrapper: its root, and the path of containers whose children are records."""

    name: str
    #: Clark tag of the wrapper's root element
    root: str
    #: container tags below the root, outermost first; records are the last one's children
    path: tuple[str, ...] = ()
    #: tag beside the last container that carries one record as base64 (SMEV attachment)
    attachment: str = ""
    #: tags allowed beside the path that hold no records (SOAP headers)
    ignored: frozenset[str] = frozenset()


ENVELOPES: tuple[Envelope, ...] = (
    Envelope("REST page", PAGE_ENVELOPE),
    Envelope("file-drop batch", BATCH_ENVELOPE),
    Envelope(
        "SOAP GetResponse",
        f"{{{SOAP_NS}}}Envelope",
        (f"{{{SOAP_NS}}}Body", f"{{{SMEV_NS}}}GetResponse", f"{{{SMEV_NS}}}Message",
         f"{{{SMEV_NS}}}PrimaryContent"),
        attachment=f"{{{SMEV_NS}}}AttachmentContent",
        ignored=frozenset({f"{{{SOAP_NS}}}Header"}),
    ),
)


def envelope_of(tag: object) -> Envelope | None:
    """The transport wrapper a root element's tag names, if any."""
    return next((e for e in ENVELOPES if e.root == tag), None)


def _parser_options() -> dict[str, bool]:
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": False,
        "remove_blank_text": False,
    }


_PAGE_PARSER = etree.XMLParser(**_parser_options())


def refuse_dtd(head: bytes) -> None:
    """Raise :class:`MalformedDocument` when the document declares a DTD or entities."""
    if _DTD.search(head[:HEAD_BYTES]):
        raise MalformedDocument("DTDs and entity declarations are refused", rule="xml.dtd")


def guess_record_id(data: bytes) -> str:
    """The ``recordId`` attribute of an unparseable record, if its first bytes name one."""
    m = _RECORD_ID.search(data[: 64 * 1024])
    return m.group(1).decode() if m else ""


@dataclass(frozen=True, slots=True)
class RecordBytes:
    """One record cut out of a transport document, with the root attributes the cursor needs."""

    body: bytes
    record_id: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class SplitDocument:
    """A transport document cut into records."""

    root_tag: str
    attributes: dict[str, str]
    records: list[RecordBytes]


def split_document(body: bytes, *, envelope: str = PAGE_ENVELOPE) -> SplitDocument:
    """Parse a bounded document (a REST page) and return its children as documents.

    A root other than ``envelope`` is a record by itself: it is returned whole as
    the one record, never taken apart (its ``c:Person`` is no record).
    """
    refuse_dtd(body)
    try:
        root = etree.fromstring(body, _PAGE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedDocument(f"not well-formed XML: {exc}", rule="xml.malformed") from exc
    if root.getroottree().docinfo.doctype:
        raise MalformedDocument("DTDs are refused", rule="xml.dtd")
    if root.tag != envelope:
        whole = RecordBytes(body, root.get("recordId", ""), root.get("updatedAt", ""))
        return SplitDocument(etree.QName(root).localname, {}, [whole])
    records = [
        RecordBytes(
            etree.tostring(child, encoding="UTF-8", with_tail=False),
            child.get("recordId", ""),
            child.get("updatedAt", ""),
        )
        for child in root
        if isinstance(child.tag, str)  # skip comments and processing instructions
    ]
    return SplitDocument(etree.QName(root).localname, dict(root.attrib), records)


def _headed(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Re-chunk so the first chunk holds the document head, then check it for a DTD."""
    head = b""
    it = iter(chunks)
    for chunk in it:
        head += chunk
        if len(head) >= HEAD_BYTES:
            break
    refuse_dtd(head)
    if head:
        yield head
    yield from it


class NotAnEnvelope(Exception):
    """The document's root is not the expected envelope: it is a record by itself."""


def iter_children(chunks: Iterable[bytes], *, envelope: str | None = None) -> Iterator[RecordBytes]:
    """Stream a document of any size, yielding each child of its root as a document.

    With ``envelope`` (a Clark tag: ``"Batch"`` is a Batch in no namespace), a
    root of another tag raises :class:`NotAnEnvelope`
    before anything is yielded. Memory stays at one record: each child is
    cleared once serialised and removed from the root.
    """
    parser = etree.XMLPullParser(events=("start", "end"), **_parser_options())
    depth = [0]
    try:
        for chunk in _headed(chunks):
            try:
                parser.feed(chunk)
            except etree.XMLSyntaxError:
                # The records parsed before the error are complete: yield them first.
                yield from _children(parser, depth, envelope)
                raise
            yield from _children(parser, depth, envelope)
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise MalformedDocument(f"not well-formed XML: {exc}", rule="xml.malformed") from exc


def _children(
    parser: etree.XMLPullParser, depth: list[int], envelope: str | None
) -> Iterator[RecordBytes]:
    """The records completed by the events parsed so far (``depth`` carried between calls)."""
    for event, el in parser.read_events():
        if event == "start":
            depth[0] += 1
            if depth[0] == 1 and envelope and el.tag != envelope:
                raise NotAnEnvelope(etree.QName(el).localname)
            continue
        depth[0] -= 1
        if depth[0] == 1 and isinstance(el.tag, str):
            yield RecordBytes(
                etree.tostring(el, encoding="UTF-8", with_tail=False),
                el.get("recordId", ""),
                el.get("updatedAt", ""),
            )
            parent = el.getparent()
            el.clear()
            if parent is not None:
                parent.remove(el)
