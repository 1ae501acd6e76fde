"""What the DAGs' tasks call: one function per task, a thin layer over the stages.

The DAG files stay declarative (``dags/``); this module adds what belongs to
orchestration rather than to a stage: turning a summary into the run's note and
task log, emitting asset events for the families actually published, saving a
failed summary when a run dies before intake, and notifying the owner. It is
imported inside task bodies, so parsing a DAG file never loads Kafka or lxml.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from hub.airflow.notify import FailureNotice, notify, run_url
from hub.config import Settings, load_settings
from hub.runs.summary import SourceRunSummary, render_markdown, save
from hub.sources import SourceConfig

log = logging.getLogger(__name__)

# Libraries whose INFO lines (kafka-python: 20 lines of connection chatter per run)
# would bury the run summary and the failure reason in the task log.
QUIET_LIBRARIES = ("kafka", "httpx", "httpcore")
# A note's first line is what the UI previews; a reason longer than this is cut.
REASON_MAX_CHARS = 300
# Setting a run's note must not hold up the task: an api-server slower than this is
# treated as down and the note stays in the task log only.
NOTE_TIMEOUT_S = 3.0


# kafka-python's selector warns whenever its own event loop ran >0.1 s, which on a busy
# machine is every few seconds, and the range assignor warns of topics whose metadata a
# joining consumer has not fetched yet; neither says anything about the run.
NOISY_WARNINGS = ("kafka.net.selector", "kafka.coordinator.assignors.range")


def quiet_libraries() -> None:
    """Keep library chatter out of task logs: warnings and errors still show."""
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in NOISY_WARNINGS:
        logging.getLogger(name).setLevel(logging.ERROR)


# Tasks import this module inside their bodies, so this runs where the tasks run.
quiet_libraries()

BACKFILL_RUN_TYPE = "backfill"


def extract(
    source: SourceConfig,
    run_id: str,
    *,
    run_type: object = "",
    interval: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Stage the pages after the source's committed position.

    A backfill run hands the connector its data interval as a
    :class:`connectors.base.Window` on the run's source, so the connector re-reads
    exactly that range (each family says how); the live position is kept aside
    for the next live run, and dedup in stage 2 drops what was already published.
    """
    from hub.airflow.connections import with_connection
    from hub.intake import stage

    source = with_connection(source)  # endpoint and credentials from its Airflow Connection
    run_type = getattr(run_type, "value", run_type)  # DagRunType is a str enum
    if run_type == BACKFILL_RUN_TYPE and interval and interval[0] and interval[1]:
        from connectors.base import Window

        source = replace(source, window=Window.parse(interval[0], interval[1]))
    return dict(stage.extract(source, run_id))


def intake(ref: dict[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """Commit the staged batch to intake; show the run summary in the log and on the run."""
    from hub.intake import stage

    summary = stage.intake(ref)
    from hub.runs.summary import format_backlog

    backlog = f", backlog {format_backlog(summary.backlog, summary.backlog_unit)}"
    headline = (
        f"**{summary.source}: {summary.state}** — {summary.pulled} pulled, {summary.valid} valid, "
        f"{summary.quarantined_total} quarantined, {summary.intake} to intake{backlog}"
    )
    _show(headline, render_markdown(summary), dag_id=dag_id, run_id=run_id)
    return summary.to_dict()


def publish(partition: int, *, run_id: str) -> dict[str, Any]:
    from hub.publish import stage

    summary = stage.publish_partition(partition, run_id=run_id)
    log.info("partition %d\n%s", partition, render_markdown(summary))
    return summary.to_dict()


def summarise_publish(
    summaries: Iterable[Mapping[str, Any]],
    *,
    dag_id: str,
    run_id: str,
    outlet_events: Any = None,
) -> dict[str, Any]:
    """Totals over the partitions; one asset event per family that got new events."""
    totals: Counter[str] = Counter()
    published: Counter[str] = Counter()
    partitions = 0
    for s in summaries:
        partitions += 1
        for key in ("consumed", "new", "corrections", "replays", "stale", "corroborations"):
            totals[key] += int(s.get(key, 0))
        totals["backlog_records"] += int(s.get("backlog_records", 0))
        published.update({f: int(n) for f, n in s.get("published", {}).items()})
    result = {"partitions": partitions, **totals, "published": dict(published)}
    rows = [("partitions", partitions), *totals.items(), ("published", published.total())]
    rows += [(f"  family {f}", n) for f, n in sorted(published.items())]
    headline = (
        f"**published {published.total()} events** from {partitions} partitions — "
        f"{totals['replays']} replays, {totals['corrections']} corrections, "
        f"{totals['corroborations']} cross-agency duplicates"
    )
    _show(headline, _table(rows), dag_id=dag_id, run_id=run_id)
    if outlet_events is not None:
        from hub.airflow.assets import EVENTS, PUBLISHED

        for family, n in sorted(published.items()):
            if n > 0 and family in EVENTS:
                outlet_events[PUBLISHED].add(EVENTS[family], extra={"published": n})
    return result


def rebuild_reports(
    settings: Settings | None = None, *, dag_id: str = "", run_id: str = "", period: str = ""
) -> dict[str, str]:
    """The statistics report of ``period`` and the operator page.

    Without a period, the latest year the hub holds facts of (else this year): a
    report of an empty current year in January would show only empty charts.
    """
    from datetime import UTC, datetime

    from hub.reports import operations as reports
    from hub.reports.statistics import build_statistics_report
    from hub.statistics.consumer import consume_statistics, store_path
    from hub.statistics.store import FactStore

    settings = settings or load_settings()
    consume_statistics(settings)  # resumes where its consumer group stopped
    if not period:
        with FactStore(store_path(settings)) as store:
            period = store.latest_year() or str(datetime.now(UTC).year)
    stats = build_statistics_report(settings, period).paths
    # The operator page after the statistics, so it links the period just written.
    paths = {k: str(v) for k, v in reports.build_reports(settings).items()}
    paths.update({f"statistics/{k}": str(v) for k, v in stats.items() if k != "index"})
    paths["statistics"] = str(stats["index"])
    charts = [k for k, v in paths.items() if v.endswith(".png")]
    rows = [("charts", ", ".join(charts) or "none yet"), ("page", paths["index"])]
    _show(f"**reports rebuilt** — {len(charts)} charts", _table(rows), dag_id=dag_id, run_id=run_id)
    return paths


def feed_bureau(
    settings: Settings | None = None, *, dag_id: str = "", run_id: str = ""
) -> dict[str, int]:
    """The statistics bureau's pseudonymised feed: every event published since the last run.

    Exactly once and restartable as the feed is (hub/deliver/bureau_feed.py): facts and
    consumed offsets commit in one transaction, so a retry resumes after the last commit.
    """
    from hub.deliver.bureau_feed import feed_topic, run_bureau_feed

    settings = settings or load_settings()
    counts = run_bureau_feed(settings)
    facts, skipped = counts.get("facts", 0), counts.get("skipped", 0)
    rows = [("topic", feed_topic(settings)), ("facts", facts), ("events about no person", skipped)]
    _show(f"**bureau feed: {facts} pseudonymised facts**", _table(rows),
          dag_id=dag_id, run_id=run_id)
    return {"facts": facts, "skipped": skipped}


def _table(rows: Iterable[tuple[str, Any]]) -> str:
    return "\n".join(["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


def _show(headline: str, table: str, *, dag_id: str, run_id: str) -> None:
    """Log the summary and, when an api-server answers, make it the DAG run's note.

    The headline comes first: the UI previews a note by its first line.
    """
    markdown = f"{headline}\n\n{table}"
    log.info("run summary of %s %s\n%s", dag_id, run_id, markdown)
    if not run_id:
        return
    base = load_settings().airflow_api_url
    if not base:
        return
    from hub.airflow.api import AirflowApi, AirflowApiError

    try:
        AirflowApi(base, timeout=NOTE_TIMEOUT_S).set_run_note(dag_id, run_id, markdown)
    except AirflowApiError as exc:
        # dag.test() and `airflow dags test` run without an api-server: the log has it.
        log.info("run note not set (%s)", exc)


def on_source_failure(source: SourceConfig, context: Mapping[str, Any]) -> str:
    """Failure callback of a source's tasks: the run's note says why, the owner is told.

    The note carries the failed run's summary with the reason on its first line,
    so the runs list in the UI answers "why" without opening a log.
    """
    ti = context["ti"]
    run_id = str(context.get("run_id") or getattr(ti, "run_id", ""))
    reason = _reason(context)
    settings = load_settings()
    summary = SourceRunSummary(
        source=source.name,
        family=source.family,
        run_id=run_id,
        state="failed",
        finished_at=time.time(),
        error=f"{ti.task_id}: {reason}",
    )
    save(summary, settings.var_dir / "runs")
    headline = f"**{source.name}: failed in {ti.task_id}** — {reason}"
    _show(headline, render_markdown(summary), dag_id=ti.dag_id, run_id=run_id)
    notice = FailureNotice(
        source=source.name,
        owner=source.owner,
        dag_id=ti.dag_id,
        run_id=run_id,
        task_id=ti.task_id,
        try_number=int(getattr(ti, "try_number", 0) or 0),
        reason=reason,
        url=run_url(ti.dag_id, run_id, ti.task_id),
    )
    channel = notify(source.notify, notice)
    log.warning("%s failed (%s); owner notified via %s", source.name, reason, channel)
    return channel


def on_retry(context: Mapping[str, Any]) -> None:
    ti = context["ti"]
    log.warning(
        "%s.%s try %s failed, retrying: %s",
        ti.dag_id,
        ti.task_id,
        getattr(ti, "try_number", "?"),
        _reason(context),
    )


def _reason(context: Mapping[str, Any]) -> str:
    """One line: the hub's own message, or the exception's type and first line."""
    from hub.errors import HubError

    exc = context.get("exception")
    if exc is None:
        return "unknown (no exception in the callback context)"
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    line = first if isinstance(exc, HubError) and first else f"{type(exc).__name__}: {first}"
    return line if len(line) <= REASON_MAX_CHARS else line[: REASON_MAX_CHARS - 1] + "…"
