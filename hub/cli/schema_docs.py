"""``mhub schema-docs --out DIR``: one Markdown page per family and version, from the XSDs.

Each page lists every record type with its elements and attributes, their
types, cardinality, documentation and the rule ids that check them, then the
family's simple types with their patterns and codes. ``rules.md`` lists every
rule id. xmlschema is used here (not on the hot path) because its component
model makes walking the content models easy.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import xmlschema

from hub.contract import SCHEMAS_DIR
from hub.intake.validate.catalog import SchemaCatalog, parse_namespace
from hub.intake.validate.rules import (
    BIN_ELEMENTS,
    COUNTRY_ATTRIBUTES,
    COUNTRY_ELEMENTS,
    KATO_ELEMENTS,
    OCCURRED_AT,
    RULES,
)
from hub.model.record_types import RECORD_TYPE, RecordType

DEFAULT_OUT = SCHEMAS_DIR / "docs"
_RULE_ID = re.compile(r"\b[a-z]+(?:\.[a-z][a-z\-]*)+\b")
_MAX_DEPTH = 4  # Person > Name > Surname is the deepest content the families have


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default {DEFAULT_OUT})")


def _doc(component: object) -> str:
    annotation = getattr(component, "annotation", None)
    return " ".join(str(annotation).split()) if annotation is not None else ""


def _rules_in(*texts: str) -> list[str]:
    found: list[str] = []
    for text in texts:
        for rid in _RULE_ID.findall(text):
            if rid in RULES and rid not in found:
                found.append(rid)
    return found


def _occurs(component: object) -> str:
    lo = getattr(component, "min_occurs", 1)
    hi = getattr(component, "max_occurs", 1)
    if lo == hi == 1:
        return "1"
    return f"{lo}..{'*' if hi is None else hi}"


def _type_name(xsd_type: object) -> str:
    name = getattr(xsd_type, "prefixed_name", None) or getattr(xsd_type, "name", None)
    if name:
        return str(name)
    base = getattr(xsd_type, "base_type", None)
    return f"({_type_name(base)} restricted)" if base is not None else "(anonymous)"


def _name_rules(local: str) -> list[str]:
    out = []
    if local in COUNTRY_ELEMENTS or local in COUNTRY_ATTRIBUTES:
        out.append("country.unknown")
    if local in KATO_ELEMENTS:
        out.append("kato.unknown")
    if local in BIN_ELEMENTS:
        out.append("bin.check-digit")
    return out


def _row(path: str, kind_type: str, occurs: str, doc: str, rules: list[str]) -> str:
    rule_text = ", ".join(f"`{r}`" for r in rules)
    return f"| `{path}` | {kind_type} | {occurs} | {doc} | {rule_text} |"


def _rows(element: xmlschema.XsdElement, path: str, depth: int) -> Iterator[str]:
    xsd_type = element.type
    for name, attr in (getattr(xsd_type, "attributes", None) or {}).items():
        if name is None:
            continue
        doc = _doc(attr)
        rules = _rules_in(doc, _doc(attr.type)) + _name_rules(attr.local_name)
        occurs = "1" if attr.use == "required" else "0..1"
        yield _row(f"{path}/@{attr.local_name}", _type_name(attr.type), occurs, doc,
                   list(dict.fromkeys(rules)))
    content = getattr(xsd_type, "content", None)
    if depth >= _MAX_DEPTH or content is None or not hasattr(content, "iter_elements"):
        return
    for child in content.iter_elements():
        if isinstance(child, xmlschema.validators.XsdAnyElement):
            ns = (child.namespace if isinstance(child.namespace, str)
                  else " ".join(sorted(child.namespace)))
            what = "ds:Signature (enveloped XMLDSig)" if "xmldsig" in str(ns) else f"any of {ns}"
            yield _row(f"{path}/*", what, _occurs(child),
                       f"processContents={child.process_contents}", [])
            continue
        local = child.local_name
        prefixed = child.prefixed_name or local
        doc = _doc(child) or _doc(child.type)
        rules = _rules_in(_doc(child), _doc(child.type)) + _name_rules(local)
        yield _row(f"{path}/{prefixed}", _type_name(child.type), _occurs(child), doc,
                   list(dict.fromkeys(rules)))
        if child.ref is not None and child.type.is_complex():
            yield _row(f"{path}/{prefixed}/…", "", "", f"see `{prefixed}` in [common v1]"
                       f"(common-v1.md)", [])
        elif child.type.is_complex():
            yield from _rows(child, f"{path}/{prefixed}", depth + 1)


def _simple_types(schema: xmlschema.XMLSchema10) -> Iterator[str]:
    own = [t for qn, t in schema.types.items() if t.is_simple()]
    if not own:
        return
    yield "## Simple types\n"
    yield "| type | base | lexical form / codes | documentation |"
    yield "| --- | --- | --- | --- |"
    for t in sorted(own, key=lambda t: t.local_name or ""):
        facets = []
        patterns = getattr(t, "patterns", None)
        if patterns is not None:
            facets += [f"pattern `{p}`" for p in patterns.regexps]
        enum = getattr(t, "enumeration", None)
        if enum:
            facets.append(", ".join(f"`{v}`" for v in enum))
        doc = _doc(t).replace("|", "\\|")
        base = _type_name(getattr(t, "base_type", None))
        yield f"| `{t.prefixed_name}` | {base} | {'; '.join(facets)} | {doc} |"
    yield ""


def _record_rules(name: str, element: xmlschema.XsdElement) -> list[str]:
    """Rules that look at several fields of a record at once (not tied to one element)."""
    if name == "Event":
        return ["the rules of the record in Body"]
    if name == "Person":
        return ["iin.*", "mrz.*", "date.birth-in-future"]
    rules = ["date.updated-in-future", "date.occurred-after-update"]
    content = getattr(element.type, "content", None)
    names = {c.local_name for c in content.iter_elements()} if content is not None else set()
    if "Person" in names:
        rules.append("date.order.before-birth")
    if name in ("BorderCrossing", "PartnerBorderNotice"):
        rules.append("document.expired-at-crossing")
    if name == "LabourQuota":
        rules.append("quota.used-exceeds-allotted")
    if name == "KandasQuota":
        rules.append("quota.decided-after-year")
    if name == "Observation":
        rules.append("stat.negative-count")
    return rules


def _event_line(row: RecordType) -> str:
    """Which event a record becomes and which of its fields make its event id."""
    parts = ["the person"] if row.fact.about_person else []
    parts += [f"`{'` / `'.join(k.sources)}`" + ("" if k.required else " (if present)")
              for k in row.fact.key]
    made_of = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return (f"Event type `{row.event_type}` (topic `events.{row.family}`); its event id is "
            f"made from {made_of}.\n")


def family_page(namespace: str, path: Path) -> str:
    family, major = parse_namespace(namespace) or ("?", 0)
    schema = xmlschema.XMLSchema10(str(path), allow="local")
    rel = path.relative_to(SCHEMAS_DIR)
    out = [f"# {family} v{major}: `{namespace}`\n",
           f"Schema file: `schemas/{rel}` (generated by `mhub schema-docs`; do not edit).\n"]
    head = _doc(schema).strip()
    if head:
        out.append(head + "\n")
    for name, element in sorted(schema.elements.items()):
        out.append(f"## {name}\n")
        doc = _doc(element)
        if doc:
            out.append(doc + "\n")
        if name in OCCURRED_AT:
            out.append(f"Time of the fact (event `occurredAt`): `{OCCURRED_AT[name]}`.\n")
        if name in RECORD_TYPE:
            out.append(_event_line(RECORD_TYPE[name]))
        record_rules = _record_rules(name, element)
        if record_rules:
            out.append("Rules on the whole record: "
                       + ", ".join(f"`{r}`" for r in record_rules) + ".\n")
        out.append("| element / @attribute | type | occurs | documentation | rules |")
        out.append("| --- | --- | --- | --- | --- |")
        prefix = {"common": "c"}.get(family, "")
        root_path = f"{prefix}:{name}" if prefix else name
        out.extend(_rows(element, root_path, 0))
        out.append("")
        out.append("Every record is also checked by its XSD (rules `xsd.*`, see "
                   "[rules](rules.md)).\n")
    out.extend(_simple_types(schema))
    return "\n".join(out)


def rules_page() -> str:
    out = ["# Validation rules\n",
           "Every finding of the validate stage names one of these rule ids (stable: agencies may "
           "match on them). Findings also carry the XPath of the field, using the prefixes "
           "`c:` common, `int:` interior, `lab:` labour, `par:` partner, `stat:` statistics, "
           "`ev:` event, `ds:` XMLDSig; elements of other namespaces appear as "
           "`*[local-name()='...']`.\n",
           "Invalid examples for each rule: `schemas/examples/invalid/*--<rule>.xml`.\n",
           "| rule | meaning |", "| --- | --- |"]
    out += [f"| `{r.id}` | {r.summary} |" for r in RULES.values()]
    return "\n".join(out) + "\n"


def write_docs(out_dir: Path, catalog: SchemaCatalog | None = None) -> list[Path]:
    catalog = catalog or SchemaCatalog()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    index = ["# The hub's XML contract: record types by family\n",
             "| namespace | page |", "| --- | --- |"]
    for namespace in catalog.namespaces():
        family, major = parse_namespace(namespace) or ("?", 0)
        page = out_dir / f"{family}-v{major}.md"
        page.write_text(family_page(namespace, catalog.files[namespace]), encoding="utf-8")
        written.append(page)
        index.append(f"| `{namespace}` | [{page.name}]({page.name}) |")
    index.append("\nRule ids: [rules.md](rules.md). Shape of a record: `schemas/README.md`.\n")
    (out_dir / "rules.md").write_text(rules_page(), encoding="utf-8")
    (out_dir / "index.md").write_text("\n".join(index), encoding="utf-8")
    return [*written, out_dir / "rules.md", out_dir / "index.md"]


def run(args: argparse.Namespace) -> int:
    for path in write_docs(args.out):
        print(path)
    return 0
