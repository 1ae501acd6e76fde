"""The shipped contract (``schemas/``): where its files are, and how they may be loaded.

``schemas`` is a package of data beside ``hub`` (XSDs, catalog, code lists, examples,
exchange contracts), found with ``importlib.resources`` so an installed wheel finds it in
any directory. Everything that reads the contract goes through here: the validate stage's
catalog (:mod:`hub.intake.validate.catalog`), the code lists, the partner gateway's WSDL,
the notices' and proofs' XSDs. A schema may load files under this folder and nothing else.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from lxml import etree

from hub.errors import ConfigError, SchemaNotFound

SCHEMAS_PACKAGE = "schemas"


def _package_dir(package: str) -> Path:
    """The folder of a package's data as a real path (lxml resolves imports by file name).

    ``resources.files`` is a ``pathlib.Path`` for every package on the file system (a
    wheel installed by pip, an editable checkout). A zipped install would give a
    zip path that lxml cannot open, and Python 3.11's ``as_file`` extracts single
    files only, not folders: refuse it with a clear message instead of failing later
    on the first relative ``schemaLocation``.
    """
    found = resources.files(package)
    if not isinstance(found, Path):
        raise ConfigError(f"{package} is not on the file system ({found!r}): install the hub "
                          "unzipped, as pip does")
    return found


SCHEMAS_DIR = _package_dir(SCHEMAS_PACKAGE)
CATALOG_FILE = SCHEMAS_DIR / "catalog.xml"
#: the dated code lists the rules and the statistics read
DATA_DIR = SCHEMAS_DIR / "data"
#: the shipped example records (valid/ and invalid/), the agencies' reference
EXAMPLES_DIR = SCHEMAS_DIR / "examples"
#: what the hub sends beside the events (schemas/README.md): package data like the
#: record schemas, but never records, so not in the catalog
EXCHANGE_DIR = SCHEMAS_DIR / "exchange"
EXCHANGE_FILES = ("gateway.wsdl", "gateway.xsd", "proof.xsd", "batch.xsd", "notice.xsd")


class LocalOnlyResolver(etree.Resolver):
    """Lets a schema load files under the schemas folder and nothing else (no network, no /etc)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root.resolve()
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        path = Path(system_url.removeprefix("file://")).resolve()
        if "://" in system_url.removeprefix("file://") or not path.is_relative_to(self._root):
            self.refused.append(system_url)
            raise SchemaNotFound(
                f"schema import outside the local catalog refused: {system_url}",
                rule="schema.import-refused",
            )
        return self.resolve_filename(str(path), context)


def exchange_file(name: str) -> Path:
    """A shipped exchange contract file (``gateway.wsdl``, ``notice.xsd``, ...)."""
    if name not in EXCHANGE_FILES:
        raise SchemaNotFound(f"no exchange schema {name!r} (one of {', '.join(EXCHANGE_FILES)})",
                             rule="schema.unknown-exchange")
    return EXCHANGE_DIR / name


@functools.cache
def exchange_schema(name: str) -> etree.XMLSchema:
    """An exchange XSD compiled once, from the package only (imports outside it refused)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(LocalOnlyResolver(SCHEMAS_DIR))
    return etree.XMLSchema(etree.parse(str(exchange_file(name)), parser))
