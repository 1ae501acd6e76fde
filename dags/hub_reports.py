"""Reports: charts of the run summaries and migration statistics, rebuilt on change."""

from __future__ import annotations

from datetime import timedelta
from functools import reduce
from operator import or_

import pendulum
from airflow.sdk import DAG, task

from hub.ops.assets import EVENTS

with DAG(
    dag_id="hub_reports",
    description="rebuild the operator and statistics reports under var/reports",
    # Any family's events changing (hub_publish) rebuilds the reports.
    schedule=reduce(or_, EVENTS.values()),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "mhub operations",
        "retries": 1,
        "retry_delay": timedelta(seconds=30),
        "execution_timeout": timedelta(minutes=10),
    },
    tags=["mhub", "reports"],
    doc_md="""
### `hub_reports` — runbook

Runs when any event family's Asset changes (`hub_publish` published new events
of that family), or on demand. Renders PNG charts and `index.html` under
`var/reports/` from the run summaries in `var/runs/` (records pulled / valid /
quarantined per source, quarantine reasons, published per family, lag) and, when
the `statistics` event topic has observations, arrivals, departures and saldo by
region, CIS vs non-CIS. Safe to re-run at any time: it only reads.
""",
) as dag:

    @task
    def render(run_id=None) -> dict:
        from hub.ops import tasks

        return tasks.rebuild_reports(dag_id="hub_reports", run_id=run_id)

    render()
