"""The validate stage: safe parse, XSD by namespace, then business rules.

``validate_record(bytes)`` never raises for a bad record: hostile or malformed
XML, an unknown namespace, XSD errors and broken rules all come back as
findings on a frozen :class:`ValidationResult`. Schemas come from the
process-wide catalog (compiled once per namespace, local files only).

Work per record is bounded: the hardened parser refuses attribute and markup
floods, and a record reports at most :data:`MAX_FINDINGS_PER_RECORD` findings
(then one ``findings.truncated`` finding counting the rest), each message at
most :data:`MAX_MESSAGE_CHARS` long. The limits hold on every path: the CLI,
the connectors' records through :func:`validate_record`, and the API.

Records are found only where the connectors find them (:func:`split_records`):
inside a known transport wrapper (REST page, file-drop batch, SOAP response),
or as the root of a document. Any other element where a record is expected is
judged as a record and fails (``schema.unknown-record`` /
``schema.unknown-namespace``); a shared block such as ``c:Person`` is never a
record on its own.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from connectors.base import RawRecord
from connectors.xmlstream import envelope_of
from hub.errors import SchemaNotFound
from hub.intake.validate.catalog import (
    FAMILY_PREFIXES,
    SHARED_NAMESPACES,
    SchemaCatalog,
    default_catalog,
    is_sdmx_namespace,
    parse_namespace,
)
from hub.intake.validate.rules import Issue, check_record
from hub.model.elements import DSIG_NS, EVENT_NS
from hub.model.findings import Finding
from security.errors import UnsafeXmlError
from security.safe_xml import parse_untrusted

# Findings kept per record: enough to fix a record in one round; more is a flood, counted only.
MAX_FINDINGS_PER_RECORD = 100
# A finding's message quotes values (libxml2 quotes the whole offending value); a few hundred
# characters identify it, a 2 MB value repeated per finding would flood the DLQ and the CLI.
MAX_MESSAGE_CHARS = 500
TRUNCATED_RULE = "findings.truncated"


@dataclass(frozen=True, slots=True)
class ValidationResult:
    ok: bool
    #: the parsed record root (None when the bytes could not be parsed)
    element: etree._Element | None
    #: local name of the root element, e.g. "BorderCrossing"
    record_type: str
    namespace: str
    #: major version of the schema (from the namespace); 0 when unknown
    version: int
    findings: tuple[Finding, ...]
    #: family of the namespace ("interior", "labour", ...); "" when unknown
    family: str = ""

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(f.rule for f in self.findings)


@dataclass(frozen=True, slots=True)
class _Context:
    source: str
    record_id: str
    raw_digest: str

    def finding(self, rule: str, message: str, xpath: str = "", line: int | None = None,
                record_id: str = "", column: int | None = None) -> Finding:
        if len(message) > MAX_MESSAGE_CHARS:
            message = f"{message[:MAX_MESSAGE_CHARS]}... ({len(message)} characters)"
        return Finding(rule=rule, message=message, xpath=xpath, source=self.source,
                       record_id=self.record_id or record_id, raw_digest=self.raw_digest,
                       line=line, column=column)


# ==================================== XPaths ====================================


def _prefix(namespace: str | None) -> str | None:
    if namespace == DSIG_NS:
        return "ds"
    parsed = parse_namespace(namespace or "")
    return FAMILY_PREFIXES.get(parsed[0]) if parsed else None


def element_path(el: etree._Element, attribute: str | None = None) -> str:
    """XPath of a node with the hub's family prefixes (c:, int:, lab:, par:, stat:, ev:, ds:).

    Elements of other namespaces use the ``*[local-name()=...]`` form; siblings of
    the same name get a 1-based position, as lxml's getpath does.
    """
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        qname = etree.QName(node)
        prefix = _prefix(qname.namespace)
        if prefix:
            step = f"{prefix}:{qname.localname}"
        elif qname.namespace:
            step = f"*[local-name()='{qname.localname}']"
        else:
            step = qname.localname
        parent = node.getparent()
        if parent is not None:
            same = [s for s in parent.iterchildren(node.tag)]
            if len(same) > 1:
                step += f"[{same.index(node) + 1}]"
        steps.append(step)
        node = parent
    path = "/" + "/".join(reversed(steps))
    return f"{path}/@{attribute}" if attribute else path


# ================================== XSD errors ==================================

# libxml2 error type -> stable rule suffix (xsd.<reason>); anything else is xsd.invalid.
_XSD_REASONS: dict[str, str] = {
    "SCHEMAV_ELEMENT_CONTENT": "element-content",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "element-content",
    "SCHEMAV_CVC_COMPLEX_TYPE_4": "missing-attribute",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_1": "unexpected-attribute",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_2": "unexpected-attribute",
    "SCHEMAV_CVC_PATTERN_VALID": "pattern",
    "SCHEMAV_CVC_ENUMERATION_VALID": "enumeration",
    "SCHEMAV_CVC_LENGTH_VALID": "length",
    "SCHEMAV_CVC_MINLENGTH_VALID": "length",
    "SCHEMAV_CVC_MAXLENGTH_VALID": "length",
    "SCHEMAV_CVC_MININCLUSIVE_VALID": "range",
    "SCHEMAV_CVC_MAXINCLUSIVE_VALID": "range",
    "SCHEMAV_CVC_MINEXCLUSIVE_VALID": "range",
    "SCHEMAV_CVC_MAXEXCLUSIVE_VALID": "range",
    "SCHEMAV_CVC_TOTALDIGITS_VALID": "range",
    "SCHEMAV_CVC_FRACTIONDIGITS_VALID": "range",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "datatype",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_1": "unexpected-content",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": "unexpected-content",
    "SCHEMAV_CVC_TYPE_3_1_1": "unexpected-content",
    "SCHEMAV_CVC_TYPE_3_1_2": "unexpected-content",
    "SCHEMAV_CVC_ELT_4_2": "wildcard",
    "SCHEMAV_CVC_ELT_1": "wildcard",
}
# A facet error is followed by a generic "not a valid value of the atomic type" for the same
# node; the facet one says more, so the generic one is dropped.
_FACET_REASONS = frozenset({"pattern", "enumeration", "length", "range"})
_ATTRIBUTE_IN_MESSAGE = re.compile(r"attribute '([A-Za-z_][\w.\-]*)'")


def _xsd_findings(schema: etree.XMLSchema, root: etree._Element, ctx: _Context,
                  record_id: str) -> tuple[list[Finding], int]:
    """The first findings of libxml2's error log (past the cap only counted) and the total."""
    nsmap = {k: v for k, v in root.nsmap.items() if k}
    out: list[Finding] = []
    seen_facet: set[tuple[int, str]] = set()
    log = schema.error_log
    for n, entry in enumerate(log):
        if len(out) == MAX_FINDINGS_PER_RECORD:  # the rest is only counted
            return out, len(out) + len(log) - n
        reason = _XSD_REASONS.get(entry.type_name, "invalid")
        if reason == "datatype" and (entry.line, entry.path) in seen_facet:
            continue
        if reason in _FACET_REASONS:
            seen_facet.add((entry.line, entry.path))
        xpath = entry.path or ""
        # libxml2 gives the path from the validated element (which may sit inside a page):
        # "/*/c:Person/c:IIN" -> "./c:Person/c:IIN" evaluated on that element.
        relative = "./" + xpath.split("/", 2)[2] if xpath.count("/") >= 2 else "."
        try:
            nodes = root.xpath(relative, namespaces=nsmap) if xpath.startswith("/") else []
        except etree.XPathError:
            nodes = []
        if nodes and isinstance(nodes[0], etree._Element):
            attr = _ATTRIBUTE_IN_MESSAGE.search(entry.message)
            xpath = element_path(nodes[0], attr[1] if attr else None)
        message = entry.message
        if reason == "invalid":
            message = f"{entry.type_name}: {message}"
        out.append(ctx.finding(f"xsd.{reason}", message, xpath, entry.line, record_id))
    return out, len(out)


# ================================== validation ==================================


def _capped(findings: list[Finding], total: int, ctx: _Context,
            record_id: str) -> tuple[Finding, ...]:
    """The first findings of a record and, past the cap, one finding counting the rest."""
    if total <= MAX_FINDINGS_PER_RECORD:
        return tuple(findings)
    rest = total - MAX_FINDINGS_PER_RECORD
    note = ctx.finding(
        TRUNCATED_RULE,
        f"{rest} more finding(s) not reported: the hub reports the first "
        f"{MAX_FINDINGS_PER_RECORD} per record", "", None, record_id)
    return (*findings[:MAX_FINDINGS_PER_RECORD], note)


def _issue_finding(issue: Issue, ctx: _Context, record_id: str) -> Finding:
    return ctx.finding(issue.rule, issue.message, element_path(issue.node, issue.attribute),
                       issue.node.sourceline, record_id)


def validate_element(root: etree._Element, *, source: str = "", record_id: str = "",
                     raw_digest: str = "", catalog: SchemaCatalog | None = None,
                     now: datetime | None = None) -> ValidationResult:
    """Validate one already parsed record element (the root of a record, or a record in a page)."""
    catalog = catalog or default_catalog()
    ctx = _Context(source, record_id, raw_digest)
    qname = etree.QName(root)
    namespace, record_type = qname.namespace or "", qname.localname
    own_id = root.get("recordId", "")
    parsed = parse_namespace(namespace)
    family, version = parsed if parsed else ("", 0)

    def result(findings: list[Finding], total: int | None = None) -> ValidationResult:
        total = len(findings) if total is None else total
        return ValidationResult(not findings, root, record_type, namespace, version,
                                _capped(findings, total, ctx, own_id), family)

    if is_sdmx_namespace(namespace):
        return result([ctx.finding(
            "schema.sdmx-validated-elsewhere",
            f"{record_type} is SDMX-ML ({namespace}): SDMX is parsed and checked by the statistics "
            "connector (connectors/statistics), which passes each observation on as a "
            "urn:kz:mhub:statistics:1 Observation record; validate those instead",
            element_path(root), root.sourceline, own_id)])
    if not catalog.knows(namespace):
        known = ", ".join(catalog.namespaces())
        return result([ctx.finding(
            "schema.unknown-namespace",
            f"no schema for namespace {namespace or '(none)'!r} (element {record_type}); "
            f"known: {known}", element_path(root), root.sourceline, own_id)])
    if namespace in SHARED_NAMESPACES:
        return result([ctx.finding(
            "schema.unknown-record",
            f"{record_type} is a shared block of {namespace}, never a record on its own; a "
            "record is a global element of a family schema", element_path(root),
            root.sourceline, own_id)])
    try:
        compiled = catalog.get(namespace)
    except SchemaNotFound as exc:
        return result([ctx.finding(exc.rule, str(exc), element_path(root), root.sourceline,
                                   own_id)])
    if record_type not in compiled.record_types:
        return result([ctx.finding(
            "schema.unknown-record",
            f"{record_type} is not a record type of {namespace}; known: "
            f"{', '.join(sorted(compiled.record_types))}", element_path(root), root.sourceline,
            own_id)])
    if not compiled.schema.validate(root):
        return result(*_xsd_findings(compiled.schema, root, ctx, own_id))
    record = root
    if namespace == EVENT_NS:  # the rules apply to the family record in the event's Body
        body = root.find(f"{{{EVENT_NS}}}Body")
        record = body[0] if body is not None and len(body) else root
        record_type_for_rules = etree.QName(record).localname
    else:
        record_type_for_rules = record_type
    issues = check_record(record, record_type=record_type_for_rules, now=now)
    return result([_issue_finding(i, ctx, own_id) for i in issues[:MAX_FINDINGS_PER_RECORD]],
                  len(issues))


def validate_record(body: bytes, *, source: str = "", record_id: str = "",
                    raw_digest: str = "") -> ValidationResult:
    """Validate one record as a standalone document. Never raises for a bad record."""
    try:
        root = parse_untrusted(body)
    except UnsafeXmlError as exc:  # the bytes themselves: the record's one finding
        return refused(exc, source=source, record_id=record_id, raw_digest=raw_digest)
    return validate_element(root, source=source, record_id=record_id, raw_digest=raw_digest)


def refused(exc: UnsafeXmlError, *, source: str = "", record_id: str = "",
            raw_digest: str = "", line_offset: int = 0) -> ValidationResult:
    """The result for bytes the hardened parser refused: one finding with its place."""
    line = getattr(exc, "line", None)
    finding = _Context(source, record_id, raw_digest).finding(
        exc.rule, str(exc), "", line + line_offset if line else None,
        column=getattr(exc, "column", None))
    return ValidationResult(False, None, "", "", 0, (finding,))


def validate_stream(records: Iterable[RawRecord]) -> Iterator[tuple[RawRecord, ValidationResult]]:
    """Validate raw records one by one (lazily, so a feed is never held in memory)."""
    for raw in records:
        yield raw, validate_record(raw.body, source=raw.source, record_id=raw.record_id,
                                   raw_digest=raw.digest)


# ================================ pages / batches ================================


def split_records(root: etree._Element) -> list[etree._Element]:
    """The elements where the hub expects records, in document order.

    A root that is a known transport wrapper (:data:`connectors.xmlstream.ENVELOPES`)
    holds its records at the end of its path; anything else found on that path
    (other than the wrapper's ignored parts) stands where a record is expected and
    is returned too, to be judged (and refused) as a record. Any other root is a
    record by itself, never searched inside: a ``c:Person`` is no record.
    An SMEV ``AttachmentContent`` is returned as is; :func:`validate_records`
    decodes it.
    """
    envelope = envelope_of(root.tag)
    if envelope is None:
        return [root]
    out: list[etree._Element] = []
    level = [root]
    for step in envelope.path:
        below: list[etree._Element] = []
        for container in level:
            for child in container.iterchildren(etree.Element):
                if child.tag == step:
                    below.append(child)
                elif child.tag not in envelope.ignored:  # a stray, or an SMEV attachment
                    out.append(child)
        level = below
    for container in level:
        out.extend(container.iterchildren(etree.Element))
    out.sort(key=_document_order(root))
    return out


def _document_order(root: etree._Element):
    order = {el: n for n, el in enumerate(root.iter(etree.Element))}
    return lambda el: order[el]


def validate_records(root: etree._Element, *, source: str = "", raw_digest: str = "",
                     catalog: SchemaCatalog | None = None) -> list[ValidationResult]:
    """Every record of a parsed document (see :func:`split_records`), each judged alone."""
    out: list[ValidationResult] = []
    envelope = envelope_of(root.tag)
    for el in split_records(root):
        if envelope is not None and el.tag == envelope.attachment:
            out.append(_validate_attachment(el, source, raw_digest))
        else:
            out.append(validate_element(el, source=source, raw_digest=raw_digest,
                                        catalog=catalog))
    return out


def _validate_attachment(el: etree._Element, source: str, raw_digest: str) -> ValidationResult:
    """A record sent base64-encoded (SMEV attachment): decoded and parsed like any record."""
    try:
        body = base64.b64decode(el.text or "", validate=True)
    except (binascii.Error, ValueError):
        finding = _Context(source, "", raw_digest).finding(
            "xml.malformed", "attachment content is not base64", element_path(el), el.sourceline)
        return ValidationResult(False, None, "", "", 0, (finding,))
    result = validate_record(body, source=source, raw_digest=raw_digest)
    if result.element is None:  # refused by the parser: point at the attachment in the file
        f = result.findings[0]
        moved = _Context(source, f.record_id, raw_digest).finding(
            f.rule, f"in the attachment at line {el.sourceline}: {f.message}", element_path(el),
            el.sourceline)
        return ValidationResult(False, None, "", "", 0, (moved,))
    return result
