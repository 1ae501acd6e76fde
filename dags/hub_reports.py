"""Reports: the migration statistics of a period and the operator charts, rebuilt on change."""

from __future__ import annotations

from datetime import timedelta
from functools import reduce
from operator import or_

import pendulum
from airflow.sdk import DAG, Param, task

from hub.airflow.assets import EVENTS
from hub.airflow.dag_defaults import REPORTS_QUEUE, operations_defaults

with DAG(
    dag_id="hub_reports",
    description="rebuild the operator and statistics reports under var/reports",
    # Any family's events changing (hub_publish) rebuilds the reports.
    schedule=reduce(or_, EVENTS.values()),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=operations_defaults(timedelta(minutes=10), retries=1, queue=REPORTS_QUEUE),
    tags=["mhub", "reports"],
    params={
        "period": Param(
            "",
            type="string",
            pattern=r"^(\d{4}(-(Q[1-4]|\d{2}))?)?$",
            description="YYYY, YYYY-Qn or YYYY-MM; empty: the latest year with facts",
        )
    },
    doc_md="""
### `hub_reports` — runbook

Runs when any event family's Asset changes (`hub_publish` published new events
of that family), or on demand (trigger with `{"period": "2006-Q1"}` for another
period than the latest year the hub holds facts of, else the current year). First
the statistics consumer takes the new
events, then the migration statistics report of the period is written under
`var/reports/statistics/<period>/` (HTML, a PNG per chart, a CSV per table,
reconciliation with the bureau), then the operator page `var/reports/index.html`
(records, quarantine reasons, published events, freshness) linking every
statistics report. Safe to re-run at any time: it only reads events.
""",
) as dag:

    @task
    def render(run_id=None, params=None) -> dict:
        from hub.airflow import tasks

        period = (params or {}).get("period") or ""
        return tasks.rebuild_reports(dag_id="hub_reports", run_id=run_id, period=period)

    render()
