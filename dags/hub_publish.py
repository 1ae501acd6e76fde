"""Stage 2 of the exchange: dedup, batch-sign and publish every intake partition.

One mapped task per intake partition (``.expand()``), each Kafka's
consume-transform-produce with its own transactional id, so partitions publish
in parallel and a zombie of one partition is fenced by the broker.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, task

from hub.airflow.assets import INTAKE, PUBLISHED
from hub.airflow.dag_defaults import STAGE2_QUEUE, operations_defaults

# A partition is drained within minutes; stage2.RUN_DEADLINE_S hands it back at 30 min.
PUBLISH_TIMEOUT = timedelta(minutes=40)

with DAG(
    dag_id="hub_publish",
    description="stage 2: dedup -> sign -> publish, one task per intake partition",
    # Runs whenever a source commits to intake.
    schedule=[INTAKE],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # Two runs would run two writers per partition: the second fences the first.
    max_active_runs=1,
    default_args=operations_defaults(PUBLISH_TIMEOUT, queue=STAGE2_QUEUE),
    tags=["mhub", "stage2"],
    doc_md="""
### `hub_publish` — stage 2 runbook

Triggered by the intake Asset (`kafka://mhub/intake`) whenever a source DAG
commits. `partitions` lists the intake partitions; `publish` is mapped over them
(one task instance per partition): it reads intake with `read_committed`, decides
replay / new / correction / corroboration against the partition's dedup index,
batch-signs the events (Merkle root + XMLDSig manifest, chained) and writes
events, index entries and the consumed offsets in one Kafka transaction per batch.
`summarise` adds up the partitions, makes the totals the run's note and updates the
Asset of every event family that got new events (which triggers `hub_reports` and,
for families about persons, `hub_bureau_feed`).

**When a partition fails:** read its mapped task's log, then *Clear* that map
index only. Nothing it had not committed is visible; the retry resumes from the
committed offsets, so nothing is lost or published twice.
""",
) as dag:

    @task
    def partitions() -> list[int]:
        from hub.publish import stage as stage2

        return stage2.intake_partitions()

    @task(map_index_template="partition {{ task.op_kwargs['partition'] }}")
    def publish(partition: int, run_id=None) -> dict:
        from hub.airflow import tasks

        return tasks.publish(partition, run_id=run_id)

    @task(outlets=[PUBLISHED])
    def summarise(summaries, run_id=None, outlet_events=None) -> dict:
        from hub.airflow import tasks

        # Index by length: iterating the lazy XCom sequence probes one past its end,
        # which Airflow logs as an error ("XCom not found") that would alarm operators.
        results = [summaries[i] for i in range(len(summaries))]
        return tasks.summarise_publish(
            results, dag_id="hub_publish", run_id=run_id, outlet_events=outlet_events
        )

    summarise(publish.expand(partition=partitions()))
