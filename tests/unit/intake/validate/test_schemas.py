"""The XSDs themselves: XSD 1.0 valid for two processors, and in step with the rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from hub.contract import SCHEMAS_DIR
from hub.intake.validate.catalog import XS_NS, default_catalog
from hub.intake.validate.rules import BIN_ELEMENTS, COUNTRY_ELEMENTS, KATO_ELEMENTS, OCCURRED_AT

XSDS = sorted(SCHEMAS_DIR.glob("*/v*/*.xsd"))


@pytest.mark.parametrize("path", XSDS, ids=lambda p: str(p.relative_to(SCHEMAS_DIR)))
def test_compiles_with_xmlschema_too(path: Path) -> None:
    xmlschema.XMLSchema10(str(path), allow="local")


def _elements_of_type(type_name: str) -> set[str]:
    names = set()
    for path in XSDS:
        for el in etree.parse(str(path)).iter(f"{{{XS_NS}}}element"):
            if el.get("type") == type_name and el.get("name"):
                names.add(el.get("name"))
    return names


def test_rule_element_sets_match_the_declared_types() -> None:
    assert _elements_of_type("c:CountryCode") == COUNTRY_ELEMENTS
    assert _elements_of_type("c:KatoCode") == KATO_ELEMENTS
    assert _elements_of_type("c:BIN") == BIN_ELEMENTS


def test_every_record_type_has_an_occurred_at_element() -> None:
    catalog = default_catalog()
    for ns in catalog.namespaces():
        for name in catalog.get(ns).record_types - {"Person"}:
            assert name in OCCURRED_AT, f"{ns} {name}"
