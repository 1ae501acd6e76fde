"""Run summaries: what one run of a source (stage 1) or a partition (stage 2) did.

Operators see them in the Airflow UI (task log and the rendered summary), in
``mhub status`` and as JSON files under ``var/runs`` that the reports read.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class SourceRunSummary:
    """Stage 1 of one source: pulled, valid, quarantined by rule, written to intake."""

    source: str
    family: str = ""
    run_id: str = ""
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    state: str = "running"  # running | success | failed
    pages: int = 0
    pulled: int = 0
    valid: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    intake: int = 0
    #: seconds between the newest record's agency timestamp and the end of the run
    lag_s: float | None = None
    position: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    #: problems the connector reported that are not records (damaged or unreadable files)
    notices: list[str] = field(default_factory=list)

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["quarantined"] = dict(self.quarantined)
        d["kind"] = "source"
        return d


@dataclass(slots=True)
class PublishRunSummary:
    """Stage 2 of one intake partition: dedup outcomes and what was published."""

    partition: int
    run_id: str = ""
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    state: str = "running"
    consumed: int = 0
    new: int = 0
    corrections: int = 0
    replays: int = 0
    stale: int = 0
    corroborations: int = 0
    published: Counter[str] = field(default_factory=Counter)  # per family
    batches: int = 0
    #: intake records still waiting in this partition when the run ended
    lag_records: int = 0
    error: str = ""

    @property
    def published_total(self) -> int:
        return sum(self.published.values())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["published"] = dict(self.published)
        d["kind"] = "publish"
        return d


def save(summary: SourceRunSummary | PublishRunSummary, runs_dir: Path) -> Path:
    """Persist a summary as JSON; the newest per source/partition feeds ``mhub status``."""
    name = (
        f"source__{summary.source}"
        if isinstance(summary, SourceRunSummary)
        else f"publish__p{summary.partition}"
    )
    folder = runs_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{int(summary.started_at * 1000)}.json"
    path.write_text(json.dumps(summary.to_dict(), indent=2, sort_keys=True, default=str))
    return path


def render_markdown(summary: SourceRunSummary | PublishRunSummary) -> str:
    """A short table an operator reads in the Airflow UI."""
    if isinstance(summary, SourceRunSummary):
        rows = [
            ("source", summary.source),
            ("state", summary.state),
            ("pages", summary.pages),
            ("pulled", summary.pulled),
            ("valid", summary.valid),
            ("quarantined", summary.quarantined_total),
            *((f"  rule {rule}", n) for rule, n in summary.quarantined.most_common()),
            ("written to intake", summary.intake),
            ("lag (s)", "" if summary.lag_s is None else f"{summary.lag_s:.0f}"),
        ]
    else:
        rows = [
            ("intake partition", summary.partition),
            ("state", summary.state),
            ("consumed", summary.consumed),
            ("new events", summary.new),
            ("corrections", summary.corrections),
            ("replays dropped", summary.replays),
            ("stale versions dropped", summary.stale),
            ("cross-agency corroborations", summary.corroborations),
            ("published", summary.published_total),
            *((f"  family {f}", n) for f, n in sorted(summary.published.items())),
            ("batches signed", summary.batches),
            ("lag (records)", summary.lag_records),
        ]
    if summary.error:
        rows.append(("error", summary.error))
    lines = ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    return "\n".join(lines)
