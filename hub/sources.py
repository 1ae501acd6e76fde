"""The sources configuration: every agency source the hub pulls, in one TOML file.

Adding a partner is a configuration change: one ``[[source]]`` table, from which
a DAG is generated (``dags/hub_sources.py``). Defaults live in ``[defaults]``;
unknown keys are rejected so that a typo fails at load time, not at 3 a.m.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.base import Window
from hub.config import load_settings
from hub.errors import ConfigError

# The source families: which connector reads a source (connectors.registry).
# Not the event families (hub.model.families.EVENT_FAMILIES).
SOURCE_FAMILIES = ("interior", "labour", "statistics", "partner")


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


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A ``[[source]]`` table that cannot become a DAG, and why (one line)."""

    name: str
    message: str

    def __str__(self) -> str:
        return f"source {self.name}: {self.message}"


def load_sources(path: Path | None = None) -> list[SourceConfig]:
    """Every source, or :class:`ConfigError` naming every bad one (``mhub``, the stages)."""
    sources, problems = load_each(path)
    if problems:
        raise problems_error(problems)
    return sources


def problems_error(problems: Iterable[SourceProblem]) -> ConfigError:
    """One error naming every bad source and what is wrong with it."""
    return ConfigError("; ".join(str(p) for p in problems))


def load_each(path: Path | None = None) -> tuple[list[SourceConfig], list[SourceProblem]]:
    """The good sources and one problem per bad one, so one bad table spares the others.

    An unreadable file is still one :class:`ConfigError`: no source can be trusted then.
    """
    path = path or load_settings().sources_file
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read sources file {path}: {exc}") from exc
    unknown_top = set(data) - {"defaults", "source"}
    if unknown_top:
        raise ConfigError(f"{path}: unknown sections {sorted(unknown_top)}")
    defaults = data.get("defaults", {})
    sources: list[SourceConfig] = []
    problems: list[SourceProblem] = []
    seen: set[str] = set()
    for i, table in enumerate(data.get("source", [])):
        merged = {**defaults, **table}
        label = str(merged.get("name") or f"#{i + 1}")
        try:
            src = _build(merged)
            if src.name in seen:
                raise ConfigError("is defined twice")
        except ConfigError as exc:
            problems.append(SourceProblem(label, str(exc)))
            continue
        seen.add(src.name)
        sources.append(_resolve_drop_dir(src))
    return sources, problems


def _build(merged: dict[str, Any]) -> SourceConfig:
    unknown = set(merged) - _KNOWN
    if unknown:
        raise ConfigError(f"unknown keys {sorted(unknown)}{_suggest(unknown, _KNOWN)}")
    missing = {"name", "family", "endpoint", "owner"} - set(merged)
    if missing:
        raise ConfigError(f"missing {sorted(missing)}")
    try:
        src = SourceConfig(**merged)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None
    problems = check_source(src)
    if problems:
        raise ConfigError("; ".join(problems))
    return src


def check_source(src: SourceConfig) -> list[str]:
    """What is wrong with one source: name, family, options, schedule, endpoint, numbers."""
    problems: list[str] = []
    if not str(src.name).replace("-", "").replace("_", "").isalnum():
        problems.append(f"name {src.name!r}: letters, digits, - and _ only")
    if src.family not in SOURCE_FAMILIES:
        problems.append(f"family {src.family!r}: one of {', '.join(SOURCE_FAMILIES)}")
    else:
        problems += _check_options(src)
    problems += _check_schedule(src.schedule)
    problems += _check_endpoint(src)
    for key in ("batch_size", "max_pages", "timeout_s"):
        value = getattr(src, key)
        if not isinstance(value, int) or value < 1:
            problems.append(f"{key}={value!r}: a whole number of at least 1")
    for key in ("retries", "retry_delay_s"):
        value = getattr(src, key)
        if not isinstance(value, int) or value < 0:
            problems.append(f"{key}={value!r}: a whole number of at least 0")
    if src.notify and not src.notify.startswith(("mailto:", "http://", "https://")):
        problems.append(f"notify={src.notify!r}: a mailto: address or an http(s) webhook URL")
    return problems


def _check_options(src: SourceConfig) -> list[str]:
    """Options per family, from the connectors' own table (connectors/registry.py)."""
    from connectors.http import TransportConfig
    from connectors.registry import OPTIONS

    if not isinstance(src.options, dict):
        return ["options: a table of family-specific options"]
    problems: list[str] = []
    try:
        TransportConfig.from_options(src.options)
    except (TypeError, ValueError) as exc:
        problems.append(f"options: {exc}")
    own = {k for k in src.options if not k.startswith("http_")}
    unknown = own - OPTIONS[src.family]
    if unknown:
        allowed = ", ".join(sorted(OPTIONS[src.family])) or "none"
        problems.append(
            f"unknown options {sorted(unknown)} for family {src.family} "
            f"(allowed: {allowed}){_suggest(unknown, OPTIONS[src.family])}"
        )
    if src.family == "partner" and "state" not in src.options:
        problems.append("partner sources need options.state (ISO alpha-3 of the partner)")
    return problems


def _check_schedule(schedule: str) -> list[str]:
    try:
        from croniter import croniter
    except ImportError:  # Airflow brings croniter; without Airflow nothing schedules anyway
        return []
    if isinstance(schedule, str) and croniter.is_valid(schedule):
        return []
    return [f"schedule {schedule!r} is not a cron expression or preset (e.g. '*/15 * * * *')"]


def _check_endpoint(src: SourceConfig) -> list[str]:
    if not src.endpoint and src.family == "labour" and src.options.get("drop_dir"):
        return []  # a file drop alone
    parsed = urlsplit(str(src.endpoint))
    if parsed.scheme in ("http", "https") and parsed.hostname:
        return []
    return [f"endpoint {src.endpoint!r} is not an http(s) URL with a host"]


def _suggest(unknown: set[str], known: set[str] | frozenset[str]) -> str:
    hints = [
        f"{name} -> {close[0]}"
        for name in sorted(unknown)
        if (close := difflib.get_close_matches(name, sorted(known), n=1))
    ]
    return f" (did you mean {', '.join(hints)}?)" if hints else ""


def _resolve_drop_dir(src: SourceConfig) -> SourceConfig:
    """A relative ``options.drop_dir`` is under the hub's var dir, whatever the worker's cwd."""
    drop = src.options.get("drop_dir")
    if not drop or Path(drop).is_absolute():
        return src
    from dataclasses import replace

    options = {**src.options, "drop_dir": str(load_settings().var_dir / drop)}
    return replace(src, options=options)
