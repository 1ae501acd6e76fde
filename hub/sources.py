"""The sources configuration: every agency source the hub pulls, in one TOML file.

Adding a partner is a configuration change: one ``[[source]]`` table, from which
a DAG is generated (``dags/hub_sources.py``). Defaults live in ``[defaults]``;
unknown keys are rejected so that a typo fails at load time, not at 3 a.m.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from connectors.base import Window
from hub.config import PROJECT_ROOT
from hub.errors import ConfigError

DEFAULT_SOURCES_FILE = PROJECT_ROOT / "sources.toml"
FAMILIES = ("interior", "labour", "statistics", "partner")


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    family: str
    endpoint: str
    owner: str
    schedule: str = "@hourly"
    #: Airflow Connection id holding credentials / TLS material for this source
    connection_id: str = ""
    #: records per page requested from the source (and per intake transaction)
    batch_size: int = 500
    #: pages pulled per run at most; the rest waits for the next run
    max_pages: int = 1000
    retries: int = 3
    retry_delay_s: int = 60
    timeout_s: int = 1800
    #: where owners are notified on failure: "mailto:..." or an http(s) webhook URL
    notify: str = ""
    #: family-specific options (e.g. SDMX flow and key, partner country, drop folder)
    options: dict[str, Any] = field(default_factory=dict)
    #: a backfill run's data interval; set per run (never in the sources file), None live
    window: Window | None = field(default=None, metadata={"per_run": True})

    @property
    def dag_id(self) -> str:
        return f"source__{self.name}"


_KNOWN = {f.name for f in fields(SourceConfig) if not f.metadata.get("per_run")}


def load_sources(path: Path | None = None) -> list[SourceConfig]:
    path = path or Path(os.environ.get("HUB_SOURCES_FILE", DEFAULT_SOURCES_FILE))
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read sources file {path}: {exc}") from exc
    unknown_top = set(data) - {"defaults", "source"}
    if unknown_top:
        raise ConfigError(f"{path}: unknown sections {sorted(unknown_top)}")
    defaults = data.get("defaults", {})
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for i, table in enumerate(data.get("source", [])):
        merged = {**defaults, **table}
        unknown = set(merged) - _KNOWN
        if unknown:
            raise ConfigError(f"{path}: source #{i + 1}: unknown keys {sorted(unknown)}")
        missing = {"name", "family", "endpoint", "owner"} - set(merged)
        if missing:
            raise ConfigError(f"{path}: source #{i + 1}: missing {sorted(missing)}")
        src = SourceConfig(**merged)
        if src.family not in FAMILIES:
            raise ConfigError(f"{path}: source {src.name}: family must be one of {FAMILIES}")
        if src.name in seen:
            raise ConfigError(f"{path}: source {src.name} is defined twice")
        if not src.name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"{path}: source name {src.name!r}: letters, digits, - and _ only")
        seen.add(src.name)
        sources.append(_resolve_drop_dir(src))
    return sources


def _resolve_drop_dir(src: SourceConfig) -> SourceConfig:
    """A relative ``options.drop_dir`` is under the hub's var dir, whatever the worker's cwd."""
    drop = src.options.get("drop_dir")
    if not drop or Path(drop).is_absolute():
        return src
    from dataclasses import replace

    from hub.config import load_settings

    options = {**src.options, "drop_dir": str(load_settings().var_dir / drop)}
    return replace(src, options=options)
