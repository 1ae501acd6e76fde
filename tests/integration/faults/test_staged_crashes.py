"""Crash safety on the path production runs: the Airflow tasks, killed and retried.

The DAGs run ``extract`` (stage raw pages) then ``intake`` (commit each page),
and ``publish`` per partition (:mod:`hub.airflow.tasks`). Here the same functions
run as processes (:mod:`tests.support.staged_run`) and are SIGKILLed at every
commit boundary of both stages, including stage 2's window between Kafka's
commit and the local index apply, then retried as Airflow retries a task: the
same staged reference for ``intake``, a fresh process for ``publish``. Each
kill is checked to have landed (``-SIGKILL``) after work was committed, and
each case ends with the independent count against the simulators' ground truth.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

from kafka import TopicPartition

from hub.config import Settings
from hub.intake import stage as stage1
from hub.kafka.clients import consumer
from hub.kafka.topics import topics_for
from hub.publish.stage import group_id
from hub.sources import load_sources
from tests.integration.faults.conftest import Hub
from tests.support.faultkit import (
    Offsets,
    check_exactly_once,
    freeze_and_kill,
    hub_env,
    killed,
    run,
    start,
    wait_for,
)
from tests.support.reliability import record_outcome

AREA = "crash (staged Airflow path)"


def _extract(hub: Hub, source: str, run_id: str) -> Path:
    """The ``extract`` task (the agency is read once per run); the reference as XCom keeps it."""
    cfg = {s.name: s for s in load_sources(hub.sources)}[source]
    ref = stage1.extract(cfg, run_id, hub.settings)
    path = hub.tmp / f"{source}-{run_id}.json"
    path.write_text(json.dumps(ref))
    return path


def _intake(hub: Hub, ref: Path, run_id: str, crash: str | None = None) -> int:
    proc = run(
        ["tests.support.staged_run", "intake", "--ref", str(ref), "--run-id", run_id],
        hub_env(hub.settings, hub.sources, crash),
    )
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(proc.stderr[-3000:])
    return proc.returncode


def _publish(hub: Hub, partition: int, crash: str | None = None) -> int:
    proc = run(
        ["tests.support.staged_run", "publish", "--partition", str(partition)],
        hub_env(hub.settings, hub.sources, crash),
    )
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(proc.stderr[-3000:])
    return proc.returncode


class Progress:
    """What the broker shows as committed: stage-1 positions, stage-2 intake offsets."""

    def __init__(self, settings: Settings) -> None:
        self.topics = topics_for(settings)
        self.offsets = Offsets(settings)
        self.group = consumer(settings=settings, group_id=group_id(settings))

    def stage1_commits(self) -> int:
        """Pages committed: each is one position message and its commit marker."""
        return self.offsets.committed_end(self.topics.connector_state) // 2

    def stage2_commits(self, partition: int) -> int:
        """Stage-2 transactions committed on ``partition`` (one index message and marker each).

        Read from the index topic's last stable offset, not from the group's
        committed offsets: those block while a killed writer's offsets are pending.
        """
        return self.offsets.committed_end(self.topics.dedup_index, partition) // 2

    def stage2_offset(self, partition: int) -> int:
        return self.group.committed(TopicPartition(self.topics.intake, partition)) or 0

    def backlog(self, partition: int) -> int:
        """Intake messages not yet published (each intake commit adds a message and a marker)."""
        end = self.offsets.committed_end(self.topics.intake, partition)
        return (end - self.stage2_offset(partition)) // 2

    def close(self) -> None:
        self.offsets.close()
        self.group.close()


class TestStagedCrashes:
    def test_tasks_killed_at_every_commit_boundary_and_retried(
        self, make_hub: Callable[..., Hub]
    ) -> None:
        hub = make_hub(interior=100, partner=60, batch_size=6)
        progress = Progress(hub.settings)
        try:
            # Stage 1: one Airflow run per boundary; the agency publishes more between runs.
            rounds = [
                ("interior", "stage1.after-begin:2"),
                ("interior", "stage1.before-commit:2"),
                ("interior", "stage1.after-commit:2"),
                ("partner-uzb", "stage1.after-commit:2"),
            ]
            for n, (source, crash) in enumerate(rounds):
                if n and source == "interior":
                    hub.sim.grow("interior", 100)
                run_id = f"run{n}"
                ref = _extract(hub, source, run_id)
                before = progress.stage1_commits()
                assert _intake(hub, ref, run_id, crash) == -signal.SIGKILL, crash
                # :2 -> one page committed before the kill (two when killed after commit 2);
                # the commit markers land just after the commit returns: wait for them.
                pages = 2 if crash.endswith("after-commit:2") else 1
                wait_for(lambda b=before, n=pages: progress.stage1_commits() - b >= n, crash)
                assert progress.stage1_commits() - before == pages, crash
                assert _intake(hub, ref, run_id) == 0  # the Airflow retry, same reference
            # Stage 2 on partition 0: each crashed run commits one poll before the kill;
            # partition 1 is published by a clean run beside it.
            for crash in (
                "stage2.after-begin:2",
                "stage2.before-commit:2",
                "stage2.after-commit:2",  # Kafka committed, local index not yet applied
            ):
                # :2 needs two polls: the run commits one before the kill (proved below).
                before = progress.stage2_commits(0)
                assert killed(_publish(hub, 0, crash)), crash
                wait_for(lambda b=before: progress.stage2_commits(0) > b, f"{crash}: a commit")
            for p in range(hub.settings.intake_partitions):
                assert _publish(hub, p) == 0
                wait_for(lambda p=p: progress.backlog(p) == 0, f"partition {p} drained")
        finally:
            progress.close()
        count, _ = check_exactly_once(hub.settings, hub.sim, hub.feeds)
        for _source, crash in rounds[:3]:
            record_outcome(AREA, f"intake task SIGKILL at {crash}, Airflow retry", str(count))
        record_outcome(
            AREA, "partner intake SIGKILL after commit, before the partner Ack; retry", str(count)
        )
        for crash in ("after-begin", "before-commit", "after-commit (before local apply)"):
            record_outcome(AREA, f"publish task SIGKILL at stage2.{crash}, rerun", str(count))

    def test_tasks_killed_from_outside_while_committing(
        self, make_hub: Callable[..., Hub]
    ) -> None:
        """SIGKILL from outside once the task's first commit is visible; it must still run."""
        hub = make_hub(interior=260, partner=0, batch_size=8)
        env = hub_env(hub.settings, hub.sources)
        progress = Progress(hub.settings)
        try:
            ref = _extract(hub, "interior", "outside")
            before = progress.stage1_commits()
            args = ["tests.support.staged_run", "intake", "--ref", str(ref), "--run-id", "outside"]
            proc = start(args, env, hub.tmp / "intake.log")
            wait_for(lambda: progress.stage1_commits() > before, "intake's first commit")
            freeze_and_kill(proc)
            assert _intake(hub, ref, "outside") == 0
            for p in range(hub.settings.intake_partitions):
                before = progress.stage2_commits(p)
                proc = start(
                    ["tests.support.staged_run", "publish", "--partition", str(p)],
                    env,
                    hub.tmp / f"publish-{p}.log",
                )
                wait_for(lambda p=p, b=before: progress.stage2_commits(p) > b, "a publish commit")
                freeze_and_kill(proc)
                assert _publish(hub, p) == 0
        finally:
            progress.close()
        count, _ = check_exactly_once(hub.settings, hub.sim, hub.feeds)
        record_outcome(AREA, "intake and publish SIGKILLed from outside mid-run", str(count))
