"""The sources file: found through the settings, checked when loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.sources import SOURCE_FAMILIES, load_sources

ONE_SOURCE = """
[[source]]
name = "interior"
family = "interior"
endpoint = "http://127.0.0.1:1/"
owner = "ops@example.org"
"""


def test_the_file_named_by_hub_sources_file_is_read(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(ONE_SOURCE)
    monkeypatch.setenv("HUB_SOURCES_FILE", str(path))
    assert [s.name for s in load_sources()] == ["interior"]


def test_a_source_family_outside_the_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(ONE_SOURCE.replace('family = "interior"', 'family = "border"'))
    with pytest.raises(ConfigError, match=r"family .border.: one of interior, labour"):
        load_sources(path)
    assert "border" not in SOURCE_FAMILIES  # an event family is not a source family
