"""Every shipped example does what it says: valid ones pass, invalid ones name their rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.intake.validate import RULES, validate_record
from hub.intake.validate.catalog import default_catalog
from tests.support.examples import INVALID, VALID, expected_rule

# Rules with no example file: one needs a 16 MB document (made in test_validator), one is the
# fallback for libxml2 errors the table does not name.
# Built by the tests themselves (a 16 MB file, a 100k-node file, bytes in a bad encoding),
# or the fallback for libxml2 messages not mapped to a finer rule.
# Attribute floods and the findings cap are built by test_validator and tests/unit/cli.
RULES_WITHOUT_EXAMPLE = {"xml.too-large", "xsd.invalid", "xml.encoding", "xml.too-many-nodes",
                         "xml.too-many-attributes", "findings.truncated"}


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_example_passes(path: Path) -> None:
    result = validate_record(path.read_bytes(), source="examples")
    assert result.ok, [str(f) for f in result.findings]
    assert result.findings == ()


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_reports_its_rule(path: Path) -> None:
    rule = expected_rule(path)
    result = validate_record(path.read_bytes(), source="examples", record_id="R1",
                             raw_digest="sha256:00")
    assert not result.ok
    assert rule in result.rules, [str(f) for f in result.findings]
    for f in result.findings:
        assert f.rule in RULES
        assert (f.source, f.record_id, f.raw_digest) == ("examples", "R1", "sha256:00")


def test_every_rule_has_an_invalid_example() -> None:
    covered = {expected_rule(p) for p in INVALID}
    assert set(RULES) - covered == RULES_WITHOUT_EXAMPLE


def test_every_record_type_has_valid_and_invalid_examples() -> None:
    catalog = default_catalog()
    types = {
        (ns, name)
        for ns in catalog.namespaces() if not ns.startswith("urn:kz:mhub:common:")
        for name in catalog.get(ns).record_types
    }

    def covered(paths: list[Path]) -> set[tuple[str, str]]:
        out = set()
        for p in paths:
            r = validate_record(p.read_bytes())
            if r.element is not None:
                out.add((r.namespace, r.record_type))
        return out

    assert types <= covered(VALID)
    # invalid examples: every record type of every family (in at least one of its versions)
    invalid = covered([p for p in INVALID if not expected_rule(p).startswith("schema.unknown")])
    family_types = {(ns.rsplit(":", 1)[0], name) for ns, name in types}
    invalid_family_types = {(ns.rsplit(":", 1)[0], name) for ns, name in invalid}
    assert family_types <= invalid_family_types, family_types - invalid_family_types
