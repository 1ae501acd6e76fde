"""Paths to the shipped examples, shared by the validation tests."""

from __future__ import annotations

import re
from pathlib import Path

from hub.contract import SCHEMAS_DIR

EXAMPLES = SCHEMAS_DIR / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*.xml"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.xml"))
_EXPECTED = re.compile(rb"expected rule: ([\w.\-]+)")


def expected_rule(path: Path) -> str:
    m = _EXPECTED.search(path.read_bytes())
    assert m, f"{path.name} does not name its expected rule"
    rule = m[1].decode()
    assert path.stem.split("--")[1].startswith(rule), "file name and comment disagree"
    return rule
