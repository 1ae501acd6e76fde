"""The schema catalog: namespace -> local XSD file -> compiled lxml schema, once.

Schemas are loaded only from the shipped contract (``schemas/``, found by
:mod:`hub.contract` so an installed wheel validates anywhere). ``catalog.xml``
(OASIS XML Catalog) maps each namespace ``urn:kz:mhub:{family}:{major}`` to its
file; imports between files use relative ``schemaLocation``. A resolver on the
schema parser refuses anything outside that folder, so compiling a schema can
never reach the network, and each namespace is compiled once per process
(module-level cache) and reused for every record.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from hub.contract import SCHEMAS_DIR, LocalOnlyResolver
from hub.errors import SchemaNotFound

XS_NS = "http://www.w3.org/2001/XMLSchema"
CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"
COMMON_NS = "urn:kz:mhub:common:1"
# SDMX-ML namespaces: 2.1 writes "www.sdmx.org/resources/sdmxml", 2.0 "www.SDMX.org/resources/
# SDMXML"; namespace names are case-sensitive, so both spellings are matched explicitly.
SDMX_NS_PREFIX = "http://www.sdmx.org/resources/sdmxml/"
#: namespaces of shared blocks (c:Person, simple types): their elements are never records
SHARED_NAMESPACES = frozenset({COMMON_NS})

_HUB_NS = re.compile(r"^urn:kz:mhub:(?P<family>[a-z]+):(?P<major>[1-9][0-9]*)$")

# Short prefixes used in the XPaths of findings, one per family (documented in docs/rules.md).
FAMILY_PREFIXES: dict[str, str] = {
    "common": "c",
    "interior": "int",
    "labour": "lab",
    "partner": "par",
    "statistics": "stat",
    "event": "ev",
}


def is_sdmx_namespace(namespace: str) -> bool:
    """True for SDMX-ML 2.0 and 2.1 namespaces alike (message, data, common)."""
    return namespace.lower().startswith(SDMX_NS_PREFIX)


def parse_namespace(namespace: str) -> tuple[str, int] | None:
    """``urn:kz:mhub:interior:2`` -> ("interior", 2); None for any other namespace."""
    m = _HUB_NS.match(namespace)
    return (m["family"], int(m["major"])) if m else None


@dataclass(frozen=True, slots=True)
class CompiledSchema:
    namespace: str
    family: str
    version: int
    path: Path
    schema: etree.XMLSchema
    #: local names of the global elements: the record types of this namespace
    record_types: frozenset[str]


class SchemaCatalog:
    """Namespace -> compiled schema; compiles lazily, once, thread-safely."""

    def __init__(self, schemas_dir: Path = SCHEMAS_DIR) -> None:
        self.schemas_dir = schemas_dir
        self.files: dict[str, Path] = _read_catalog(schemas_dir / "catalog.xml")
        self._compiled: dict[str, CompiledSchema] = {}
        self._lock = threading.Lock()

    def namespaces(self) -> list[str]:
        return sorted(self.files)

    def knows(self, namespace: str) -> bool:
        return namespace in self.files

    def get(self, namespace: str) -> CompiledSchema:
        """The compiled schema of a namespace; SchemaNotFound when the catalog has none."""
        found = self._compiled.get(namespace)
        if found is not None:
            return found
        with self._lock:
            found = self._compiled.get(namespace)
            if found is None:
                found = self._compile(namespace)
                self._compiled[namespace] = found
        return found

    def _compile(self, namespace: str) -> CompiledSchema:
        path = self.files.get(namespace)
        parsed = parse_namespace(namespace)
        if path is None or parsed is None:
            raise SchemaNotFound(f"no schema for namespace {namespace!r}",
                                 rule="schema.unknown-namespace")
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        resolver = LocalOnlyResolver(self.schemas_dir)
        parser.resolvers.add(resolver)
        doc = etree.parse(str(path), parser)
        try:
            schema = etree.XMLSchema(doc)
        except etree.XMLSchemaParseError as exc:
            if resolver.refused:
                raise SchemaNotFound(
                    f"{path.name}: import outside the local catalog refused: "
                    f"{', '.join(resolver.refused)}", rule="schema.import-refused") from exc
            raise SchemaNotFound(f"{path.name} does not compile: {exc}",
                                 rule="schema.invalid") from exc
        roots = frozenset(
            el.get("name", "") for el in doc.getroot().iterchildren(f"{{{XS_NS}}}element")
        )
        return CompiledSchema(namespace, parsed[0], parsed[1], path, schema, roots)


def _read_catalog(file: Path) -> dict[str, Path]:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    root = etree.parse(str(file), parser).getroot()
    out: dict[str, Path] = {}
    for uri in root.iterchildren(f"{{{CATALOG_NS}}}uri"):
        out[uri.get("name", "")] = (file.parent / uri.get("uri", "")).resolve()
    return out


_DEFAULT: SchemaCatalog | None = None
_DEFAULT_LOCK = threading.Lock()


def default_catalog() -> SchemaCatalog:
    """The process-wide catalog over the shipped ``schemas/`` folder (the cache)."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = SchemaCatalog()
    return _DEFAULT
