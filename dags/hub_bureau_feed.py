"""The statistics bureau's pseudonymised feed, fed after every publish of a person family."""

from __future__ import annotations

from datetime import timedelta
from functools import reduce
from operator import or_

import pendulum
from airflow.sdk import DAG, task

from hub.airflow.assets import PERSON_EVENTS
from hub.airflow.dag_defaults import FEED_QUEUE, operations_defaults

# A publish run's events are fed within a minute; a backlog of a year within minutes.
FEED_TIMEOUT = timedelta(minutes=30)

with DAG(
    dag_id="hub_bureau_feed",
    description="pseudonymise newly published person events into the bureau's feed",
    # hub_publish updates the Asset of every family it published to.
    schedule=reduce(or_, PERSON_EVENTS.values()),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # One writer: a second run's transactional producer would fence the first.
    max_active_runs=1,
    default_args=operations_defaults(FEED_TIMEOUT, queue=FEED_QUEUE),
    tags=["mhub", "statistics"],
    doc_md="""
### `hub_bureau_feed` — runbook

Runs when `hub_publish` published events of a family about persons (`border`,
`residence`, `labour`, `asylum`, `enforcement`), or on demand. `feed` reads what
is new on those event topics (`read_committed`, consumer group
`<prefix>statistics-feed`) and writes one pseudonymised fact per event to
`<prefix>statistics-feed`, the facts and the consumed offsets in one Kafka
transaction per poll (`docs/statistics-feed.md`). It stops once every partition
is read to its end; the run's note gives the count.

**When it fails:** read the task log, fix the cause, *Clear* the task. Nothing it
had not committed is visible to the bureau; the retry resumes after the last
commit, so no fact is lost or written twice.
""",
) as dag:

    @task
    def feed(run_id=None) -> dict:
        from hub.airflow import tasks

        return tasks.feed_bureau(dag_id="hub_bureau_feed", run_id=run_id)

    feed()
