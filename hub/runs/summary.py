"""Run summaries: what one run of a source (stage 1) or a partition (stage 2) did.

Operators see them in the Airflow UI (task log and the rendered summary), in
``mhub status`` and as JSON files under ``var/runs`` that the reports read.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
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
    #: pages judged again because another source bound one of their new persons'
    #: identifiers first (sources running at once; many in a backfill)
    rejudged: int = 0
    #: what the source still holds that this run did not take (a run stopped at
    #: max_pages): 0 when caught up, None when the connector cannot tell
    backlog: int | None = None
    #: the unit of ``backlog``: pages, records or periods (statistics)
    backlog_unit: str = "pages"
    #: age of the newest record's agency timestamp at the end of the run. Not
    #: freshness (it grows while an idle source is fully caught up): kept for
    #: investigation only, never shown as lag.
    newest_record_age_s: float | None = None
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
    backlog_records: int = 0
    error: str = ""

    @property
    def published_total(self) -> int:
        return sum(self.published.values())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["published"] = dict(self.published)
        d["kind"] = "publish"
        return d


def format_duration(seconds: float | None) -> str:
    """Seconds, minutes, hours or days: whichever an operator reads at a glance."""
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"


def format_backlog(backlog: int | None, unit: str = "pages") -> str:
    if backlog is None:
        return "unknown"
    return "none (caught up)" if backlog == 0 else f"{backlog} {unit}"


def freshness_s(summaries: list[dict[str, Any]], now: float | None = None) -> float | None:
    """Seconds since the last successful pull among ``summaries`` (oldest first), or None."""
    done = [s.get("finished_at") for s in summaries if s.get("state") == "success"]
    done = [t for t in done if t]
    return None if not done else (now or time.time()) - max(done)


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
            *((("pages judged again (identity race)", summary.rejudged),)
              if summary.rejudged else ()),
            ("backlog at the source", format_backlog(summary.backlog, summary.backlog_unit)),
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
            ("backlog (intake records waiting)", summary.backlog_records),
        ]
    if summary.error:
        rows.append(("error", summary.error))
    lines = ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    return "\n".join(lines)


@contextlib.contextmanager
def recorded(
    summary: SourceRunSummary | PublishRunSummary,
    runs_dir: Path,
    *,
    before_save: Callable[[], None] | None = None,
) -> Iterator[None]:
    """The run's outcome, success or the error, saved for operators whatever happens.

    Both stages run inside it, so a run that dies (an unreachable broker included)
    still leaves a summary saying why; ``before_save`` adds what the stage counted.
    """
    try:
        yield
        summary.state = "success"
    except Exception as exc:
        summary.state = "failed"
        summary.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if before_save is not None:
            before_save()
        summary.finished_at = time.time()
        save(summary, runs_dir)
