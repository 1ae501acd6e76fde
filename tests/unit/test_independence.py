"""connectors/ and security/ stand on their own (nothing in them imports ``hub``); hub.model
sits below the stages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hub.config import PROJECT_ROOT


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["connectors", "security"])
def test_package_does_not_import_hub(package: str) -> None:
    offenders = {
        str(p.relative_to(PROJECT_ROOT)): sorted(
            n for n in _imported(p) if n.split(".")[0] == "hub"
        )
        for p in sorted((PROJECT_ROOT / package).rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_model_imports_no_stage() -> None:
    """``hub.model`` is the vocabulary the stages share: it sits below every one of them
    (beside the errors and the shipped contract it reads its code lists from)."""
    below = {"hub.model", "hub.errors", "hub.contract"}
    offenders = {
        str(p.relative_to(PROJECT_ROOT)): sorted(
            n for n in _imported(p)
            if n.split(".")[0] == "hub" and not any(n == b or n.startswith(f"{b}.") for b in below)
        )
        for p in sorted((PROJECT_ROOT / "hub" / "model").rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}
