"""The DAG files: they load, one DAG per source, the stage graph, the run policy."""

from __future__ import annotations

import ast
import itertools
from datetime import timedelta

import pytest

from hub.airflow.environment import DAGS_FOLDER

STAGE1 = ["extract", "intake"]


class TestLoading:
    def test_every_dag_file_loads_without_import_errors(self, dagbag) -> None:
        assert dagbag.import_errors == {}
        assert {"hub_publish", "hub_reports", "hub_bureau_feed"} <= set(dagbag.dag_ids)

    def test_one_dag_per_configured_source(self, dagbag, test_sources) -> None:
        source_dags = {d for d in dagbag.dag_ids if d.startswith("source__")}
        assert source_dags == {s.dag_id for s in test_sources}
        families = {s.family for s in test_sources}
        assert families == {"interior", "labour", "statistics", "partner"}
        countries = {s.options.get("state") for s in test_sources if s.family == "partner"}
        assert countries == {"UZB", "KGZ", "TJK", "RUS"}

    def test_adding_a_partner_is_a_configuration_change(
        self, test_sources, write_sources, tmp_path, monkeypatch
    ) -> None:
        from dataclasses import replace

        from airflow.dag_processing.dagbag import DagBag

        extra = replace(
            test_sources[-2],
            name="partner_arm",
            endpoint="http://127.0.0.1:18700/partner/ARM",
            options={"state": "ARM"},
        )
        path = tmp_path / "sources-plus-arm.toml"
        write_sources(path, [*test_sources, extra])
        monkeypatch.setenv("HUB_SOURCES_FILE", str(path))
        bag = DagBag(dag_folder=str(DAGS_FOLDER / "hub_sources.py"))
        assert bag.import_errors == {}
        assert "source__partner_arm" in bag.dag_ids
        assert [t.task_id for t in bag.dags["source__partner_arm"].topological_sort()] == STAGE1

    def test_dag_files_import_only_the_task_sdk_and_hub(self) -> None:
        for path in DAGS_FOLDER.glob("*.py"):
            tree = ast.parse(path.read_text())
            top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
            mods = {(n.module if isinstance(n, ast.ImportFrom) else n.names[0].name) for n in top}
            airflow = {m for m in mods if m and m.startswith("airflow")}
            assert airflow <= {"airflow.sdk"}, (path.name, airflow)
            hub = {m for m in mods if m and m.startswith("hub")}
            # Only the light modules at parse time; stages are imported inside task bodies.
            light = {"hub.airflow.assets", "hub.airflow.dag_defaults", "hub.sources"}
            assert hub <= light, (path.name, hub)

    def test_dag_files_stay_small(self) -> None:
        for path in DAGS_FOLDER.glob("*.py"):
            assert path.stat().st_size < 8_000, path.name


class TestSourceDag:
    @pytest.fixture
    def dag(self, dagbag):
        return dagbag.dags["source__partner_uzb"]

    def test_stages_in_order(self, dag) -> None:
        assert [t.task_id for t in dag.topological_sort()] == STAGE1
        for up, down in itertools.pairwise(STAGE1):
            assert dag.get_task(down).upstream_task_ids == {up}

    def test_run_policy(self, dag, test_sources) -> None:
        src = next(s for s in test_sources if s.dag_id == dag.dag_id)
        assert dag.max_active_runs == 1
        assert dag.catchup is False
        assert "mhub" in dag.tags and "partner" in dag.tags
        for task in dag.tasks:
            assert task.retries == src.retries
            assert task.retry_exponential_backoff > 1
            assert task.retry_delay == timedelta(seconds=src.retry_delay_s)
            assert task.max_retry_delay is not None
            assert task.execution_timeout == timedelta(seconds=src.timeout_s)
            assert task.on_failure_callback

    def test_schedule_from_configuration(self, dagbag, test_sources) -> None:
        for src in test_sources:
            assert dagbag.dags[src.dag_id].timetable.expression in (
                src.schedule,
                {"@hourly": "0 * * * *", "@daily": "0 0 * * *"}.get(src.schedule),
            )

    def test_intake_updates_the_intake_asset(self, dag) -> None:
        [outlet] = dag.get_task("intake").outlets
        assert outlet.uri == "kafka://mhub/intake"

    def test_runbook_is_the_dag_doc(self, dag) -> None:
        assert "runbook" in dag.doc_md and "backfill create" in dag.doc_md
        assert "Owner:" in dag.doc_md


class TestPublishDag:
    def test_mapped_per_partition_and_triggered_by_intake(self, dagbag) -> None:
        dag = dagbag.dags["hub_publish"]
        assert [t.task_id for t in dag.topological_sort()] == ["partitions", "publish", "summarise"]
        from airflow.sdk.definitions.mappedoperator import MappedOperator

        assert isinstance(dag.get_task("publish"), MappedOperator)
        assert dag.max_active_runs == 1 and dag.catchup is False
        assert [a.uri for a in dag.timetable.asset_condition.objects] == ["kafka://mhub/intake"]
        [alias] = dag.get_task("summarise").outlets
        assert alias.name == "mhub-published-families"

    def test_reports_run_when_any_family_changes(self, dagbag) -> None:
        dag = dagbag.dags["hub_reports"]
        uris = sorted(a.uri for a in dag.timetable.asset_condition.objects)
        assert uris == sorted(
            f"kafka://mhub/events.{f}"
            for f in ("border", "residence", "labour", "asylum", "enforcement", "statistics")
        )


class TestBureauFeedDag:
    def test_runs_after_publish_of_a_person_family(self, dagbag) -> None:
        from hub.deliver.bureau_feed import FEED_FAMILIES

        dag = dagbag.dags["hub_bureau_feed"]
        uris = sorted(a.uri for a in dag.timetable.asset_condition.objects)
        # The Assets hub_publish's summarise updates: every family the feed reads, no other.
        assert uris == sorted(f"kafka://mhub/events.{f}" for f in FEED_FAMILIES)
        assert "statistics" not in FEED_FAMILIES

    def test_one_restartable_writer(self, dagbag) -> None:
        dag = dagbag.dags["hub_bureau_feed"]
        assert [t.task_id for t in dag.tasks] == ["feed"]
        assert dag.max_active_runs == 1 and dag.catchup is False
        [feed] = dag.tasks
        assert feed.retries >= 1 and feed.retry_exponential_backoff > 1
        assert feed.execution_timeout is not None
        assert "runbook" in dag.doc_md and "Clear" in dag.doc_md


class TestQueues:
    """Every task names the queue of the Kafka user it must run as (dag_defaults)."""

    def test_each_dag_runs_as_its_kafka_user(self, dagbag, test_sources) -> None:
        from hub.airflow import dag_defaults as d

        want = {"hub_publish": d.STAGE2_QUEUE, "hub_reports": d.REPORTS_QUEUE,
                "hub_bureau_feed": d.FEED_QUEUE}
        want |= {s.dag_id: d.STAGE1_QUEUE for s in test_sources}
        got = {dag_id: {t.queue for t in dagbag.dags[dag_id].tasks} for dag_id in want}
        assert got == {dag_id: {queue} for dag_id, queue in want.items()}
