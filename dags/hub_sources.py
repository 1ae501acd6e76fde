"""Stage 1 of the exchange: one DAG per agency source, generated from ``sources.toml``.

Adding a source or a partner is a configuration change: a ``[[source]]`` table in
the sources file (``HUB_SOURCES_FILE``) becomes a DAG ``source__<name>`` here.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, task

from hub.airflow.assets import INTAKE
from hub.airflow.dag_defaults import STAGE1_QUEUE
from hub.sources import SourceConfig, SourceProblem, load_each, problems_error

# Long outages should not turn into hour-long sleeps between retries.
MAX_RETRY_DELAY = timedelta(minutes=30)
# Exponential backoff factor between retries (first delay from the source's retry_delay_s).
BACKOFF = 2.0
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")

RUNBOOK = """
### Source `{name}` ({family}) — stage 1 runbook

`extract` pulls `{endpoint}` after the source's committed position and stages the
raw pages under `var/staging/{name}/<run>` (only a reference travels through
XCom). `intake` takes each page **validate → verify → normalise** (each record
parsed once) and writes its candidates, quarantined records (DLQ) and identity
notices (both signed by the hub, one notice each) and the new position in one Kafka
transaction per page, then updates the intake Asset, which triggers `hub_publish`.

* **Owner:** {owner} — notified on failure via `{notify}`
* **Schedule:** `{schedule}`, one run at a time, no catch-up
* **Credentials:** Airflow Connection `{connection_id}` (endpoint, login/password,
  TLS files in extra; see docs/operations.md)
* **Retries:** {retries}, first after {retry_delay_s}s, backing off ×2 (max 30 min);
  each task times out after {timeout_s}s.

**The run summary** (pulled, valid, quarantined by rule, written, backlog) is the run's
*note* and in the `intake` task log; a failed run's note starts with the reason.
`mhub status` lists every source's last run, freshness and backlog.

**When it fails:** read the failed task's log. `extract` failing means the agency
endpoint or credentials (retry is safe: nothing was committed, the position did
not move). `intake` failing means Kafka: check `mhub kafka status`, then *Clear*
the `intake` task. A clear of the whole run pulls again from the committed
position; whatever is taken twice, stage 2 drops as a replay.

**Backfill a date range:** `airflow backfill create --dag-id {dag_id}
--from-date 2026-03-01 --to-date 2026-03-07 --max-active-runs 1` (or
`POST /api/v2/backfills`). The connector reads only the run's data interval
`(start, end]` (REST by updatedAt, SDMX by the months closing in it, files by
mtime, partners by sentAt); the live position is untouched.
"""


def _on_failure(source: SourceConfig, context: dict) -> None:
    from hub.airflow.tasks import on_source_failure

    on_source_failure(source, context)


def _on_retry(context: dict) -> None:
    from hub.airflow.tasks import on_retry

    on_retry(context)


def source_dag(source: SourceConfig) -> DAG:
    default_args = {
        "owner": source.owner,
        "retries": source.retries,
        "retry_delay": timedelta(seconds=source.retry_delay_s),
        "retry_exponential_backoff": BACKOFF,
        "max_retry_delay": MAX_RETRY_DELAY,
        "execution_timeout": timedelta(seconds=source.timeout_s),
        "on_failure_callback": partial(_on_failure, source),
        "on_retry_callback": _on_retry,
        # Run as the Kafka user of stage 1 (a Celery worker serves its queue).
        "queue": STAGE1_QUEUE,
    }
    with DAG(
        dag_id=source.dag_id,
        description=f"stage 1: {source.family} source {source.name}",
        # Data intervals (previous tick -> this tick) give a backfill run its date window.
        schedule=CronDataIntervalTimetable(source.schedule, timezone="UTC"),
        start_date=START_DATE,
        catchup=False,
        # Runs of one source share its transactional id: a second run would fence the first.
        max_active_runs=1,
        default_args=default_args,
        tags=["mhub", "stage1", source.family],
        doc_md=RUNBOOK.format(dag_id=source.dag_id, **_fields(source)),
    ) as dag:

        @task
        def extract(run_id=None, dag_run=None, data_interval_start=None, data_interval_end=None):
            from hub.airflow import tasks

            window = _iso(data_interval_start, data_interval_end)
            return tasks.extract(source, run_id, run_type=dag_run.run_type, interval=window)

        @task(outlets=[INTAKE])
        def intake(ref: dict, run_id=None) -> dict:
            from hub.airflow import tasks

            return tasks.intake(ref, dag_id=source.dag_id, run_id=run_id)

        intake(extract())
    return dag


def _fields(source: SourceConfig) -> dict:
    return {
        "name": source.name,
        "family": source.family,
        "endpoint": source.endpoint,
        "owner": source.owner,
        "notify": source.notify or "(log only)",
        "schedule": source.schedule,
        "connection_id": source.connection_id or "(none)",
        "retries": source.retries,
        "retry_delay_s": source.retry_delay_s,
        "timeout_s": source.timeout_s,
    }


def _iso(start, end) -> tuple[str, str] | None:
    return (start.isoformat(), end.isoformat()) if start and end else None


class InvalidSources(DAG):
    """Stands for the sources whose table is wrong, so only they fail to load.

    Airflow validates each DAG of a file before bagging it and reports a DAG that
    fails as the file's import error while it still bags the others: every good
    source keeps its DAG, and the Import errors page names each bad source and why.
    """

    problems: tuple[SourceProblem, ...] = ()

    def validate(self) -> None:
        raise problems_error(self.problems)


def _load() -> None:
    sources, problems = load_each()
    for source in sources:
        try:
            globals()[source.dag_id] = source_dag(source)
        except Exception as exc:  # one source's DAG that Airflow refuses spares the others
            problems.append(SourceProblem(source.name, f"{type(exc).__name__}: {exc}"))
    if problems:
        broken = InvalidSources(dag_id="source__invalid_configuration", schedule=None)
        broken.problems = tuple(problems)
        globals()["source__invalid_configuration"] = broken


_load()
