"""The example builders (infra/schemas) reproduce the shipped examples byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.schemas import build_examples, build_invalid
from tests.support.examples import EXAMPLES


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.xml"))}


def test_builders_reproduce_the_shipped_examples(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    build_examples.main(tmp_path / "valid")
    build_invalid.main(tmp_path / "valid", tmp_path / "invalid")
    capsys.readouterr()
    for kind in ("valid", "invalid"):
        shipped = _files(EXAMPLES / kind)
        assert shipped, kind
        assert _files(tmp_path / kind) == shipped, f"{kind} examples are stale: rebuild them"
