"""The record-type table against the contract and the ACLs: nothing described twice or missed.

A record type the catalog's XSDs declare but the table lacks would be quarantined as
``route.unknown-record-type``; a row whose element no XSD declares is dead. The facts'
key fields and the occurred-at element must be elements of the record itself, and the
families' readers must be the agencies ``infra/production/kafka/acls.sh`` entitles.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from pathlib import Path

import pytest
import xmlschema

from hub.intake.validate.catalog import SHARED_NAMESPACES, default_catalog
from hub.model import families
from hub.model.record_types import NOT_RECORD_TYPES, RECORD_TYPES, RecordType
from hub.statistics.definitions import FAMILIES as STATISTICS_FAMILIES

ACLS = Path(__file__).resolve().parents[3] / "infra" / "production" / "kafka" / "acls.sh"


@functools.cache
def declared() -> dict[str, set[str]]:
    """Record type -> the local names of every element inside it, over every XSD of the
    catalog (all versions of a family declare the record the same way or add to it)."""
    catalog = default_catalog()
    out: dict[str, set[str]] = defaultdict(set)
    for ns in catalog.namespaces():
        if ns in SHARED_NAMESPACES:
            continue
        schema = xmlschema.XMLSchema10(str(catalog.get(ns).path), allow="local")
        for name, element in schema.elements.items():
            out[name] |= {e.local_name for e in element.iter() if getattr(e, "local_name", None)}
    return out


def test_every_record_type_of_the_catalog_has_a_row() -> None:
    in_catalog = set(declared()) - NOT_RECORD_TYPES
    assert in_catalog - {r.name for r in RECORD_TYPES} == set()


def test_every_row_has_a_global_element_in_some_xsd() -> None:
    assert {r.name for r in RECORD_TYPES} - set(declared()) == set()


def test_one_row_per_record_type() -> None:
    names = [r.name for r in RECORD_TYPES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("row", RECORD_TYPES, ids=lambda r: r.name)
def test_key_fields_and_time_are_elements_of_the_record(row: RecordType) -> None:
    inside = declared()[row.name]
    assert row.occurred_at in inside
    for field in row.fact.key:
        assert set(field.sources) & inside, f"{row.name}: no {field.sources} for {field.name}"


@pytest.mark.parametrize("row", RECORD_TYPES, ids=lambda r: r.name)
def test_a_fact_about_a_person_is_reported_with_one(row: RecordType) -> None:
    """A person fact's key needs the resolved person; an aggregate's record carries none."""
    assert ("Person" in declared()[row.name]) == row.fact.about_person


def test_a_fact_has_one_key_and_one_family() -> None:
    """Records of one fact share its event id: a second family would publish it twice."""
    by_fact: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for row in RECORD_TYPES:
        by_fact[row.fact.name].add((row.family, id(row.fact)))
    assert {fact: len(v) for fact, v in by_fact.items() if len(v) > 1} == {}


def test_every_family_has_a_record_type_and_every_row_a_family() -> None:
    assert {r.family for r in RECORD_TYPES} == set(families.EVENT_FAMILIES)


def _acl_families() -> dict[str, set[str]]:
    """Principal -> the event families acls.sh lets it read."""
    text = ACLS.read_text()
    out: dict[str, set[str]] = defaultdict(set)
    for user, rest in re.findall(r"^entitled (\S+)\s+([^#\n]*)", text, re.M):
        out[user] |= set(rest.split())
    loops = re.findall(r"^for \w+ in ([^;]*?);\s*do\n(.*?)\ndone", text, re.M | re.S)
    for words, body in loops:
        user = re.search(r"User:(mhub-[a-z0-9]+)", body)
        if user is None:
            continue
        for word in words.replace("\\\n", " ").split():
            if word in families.EVENT_FAMILIES:
                out[user[1]].add(word)
            elif word.startswith("events.") and word != "events.":
                out[user[1]].add(word.removeprefix("events."))
    return out


class TestAcls:
    def test_agencies_read_the_families_the_table_entitles(self) -> None:
        granted = _acl_families()
        agencies = {u for f in families.FAMILIES for u in f.readers}
        assert agencies == {"mvd", "enbek"}
        for user in agencies:
            assert granted[user] == {f.name for f in families.FAMILIES if user in f.readers}, user

    def test_the_feed_reads_the_person_families(self) -> None:
        assert _acl_families()["mhub-feed"] == set(families.PERSON_FAMILIES)

    def test_the_reports_read_what_the_statistics_count(self) -> None:
        assert _acl_families()["mhub-reports"] == set(STATISTICS_FAMILIES)
