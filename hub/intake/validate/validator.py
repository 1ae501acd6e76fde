"""The validate stage: safe parse, XSD by namespace, then business rules.

``validate_record(bytes)`` never raises for a bad record: hostile or malformed
XML, an unknown namespace, XSD errors and broken rules all come back as
findings on a frozen :class:`ValidationResult`. Schemas come from the
process-wide catalog (compiled once per namespace, local files only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from connectors.base import RawRecord
from hub.errors import HostileXmlError, SchemaNotFound, map_errors
from hub.intake.validate.catalog import (
    DSIG_NS,
    FAMILY_PREFIXES,
    SDMX_NS_PREFIX,
    SchemaCatalog,
    default_catalog,
    parse_namespace,
)
from hub.intake.validate.rules import Issue, check_record
from hub.model.findings import Finding
from security.safe_xml import parse_untrusted

EVENT_NS = "urn:kz:mhub:event:1"


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
                record_id: str = "") -> Finding:
        return Finding(rule=rule, message=message, xpath=xpath, source=self.source,
                       record_id=self.record_id or record_id, raw_digest=self.raw_digest,
                       line=line)


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
                  record_id: str) -> list[Finding]:
    nsmap = {k: v for k, v in root.nsmap.items() if k}
    out: list[Finding] = []
    seen_facet: set[tuple[int, str]] = set()
    for entry in schema.error_log:
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
    return out


# ================================== validation ==================================


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

    def result(findings: list[Finding]) -> ValidationResult:
        return ValidationResult(not findings, root, record_type, namespace, version,
                                tuple(findings), family)

    if namespace.startswith(SDMX_NS_PREFIX):
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
        return result(_xsd_findings(compiled.schema, root, ctx, own_id))
    record = root
    if namespace == EVENT_NS:  # the rules apply to the family record in the event's Body
        body = root.find(f"{{{EVENT_NS}}}Body")
        record = body[0] if body is not None and len(body) else root
        record_type_for_rules = etree.QName(record).localname
    else:
        record_type_for_rules = record_type
    issues = check_record(record, record_type=record_type_for_rules, now=now)
    return result([_issue_finding(i, ctx, own_id) for i in issues])


def validate_record(body: bytes, *, source: str = "", record_id: str = "",
                    raw_digest: str = "") -> ValidationResult:
    """Validate one record as a standalone document. Never raises for a bad record."""
    try:
        with map_errors():
            root = parse_untrusted(body)
    except HostileXmlError as exc:
        finding = Finding(rule=exc.rule, message=str(exc), source=source, record_id=record_id,
                          raw_digest=raw_digest)
        return ValidationResult(False, None, "", "", 0, (finding,))
    return validate_element(root, source=source, record_id=record_id, raw_digest=raw_digest)


def validate_stream(records: Iterable[RawRecord]) -> Iterator[tuple[RawRecord, ValidationResult]]:
    """Validate raw records one by one (lazily, so a feed is never held in memory)."""
    for raw in records:
        yield raw, validate_record(raw.body, source=raw.source, record_id=raw.record_id,
                                   raw_digest=raw.digest)


# ================================ pages / batches ================================


def is_record(el: etree._Element, catalog: SchemaCatalog | None = None) -> bool:
    """True when the element is a global element (record type) of a catalogued schema."""
    catalog = catalog or default_catalog()
    if not isinstance(el.tag, str):
        return False
    qname = etree.QName(el)
    if not catalog.knows(qname.namespace or ""):
        return False
    return qname.localname in catalog.get(qname.namespace or "").record_types


def split_records(root: etree._Element, catalog: SchemaCatalog | None = None
                  ) -> list[etree._Element]:
    """The records a page or batch wrapper holds (outermost known records, document order).

    A root that is itself a record is returned alone. A wrapper of any shape (REST
    page, file-drop batch, SOAP response) is searched for known record elements,
    without descending into the records found.
    """
    catalog = catalog or default_catalog()
    if is_record(root, catalog):
        return [root]
    found: list[etree._Element] = []
    stack = list(reversed(list(root.iterchildren(etree.Element))))
    while stack:
        el = stack.pop()
        if is_record(el, catalog):
            found.append(el)
        else:
            stack.extend(reversed(list(el.iterchildren(etree.Element))))
    return found
