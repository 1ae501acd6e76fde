"""Drive DAG runs of a running Airflow through its REST API, the way an operator would.

Trigger, wait on each run's state (polled, printing every task's state change and a
line while nothing changes), then one summary line per run: state, duration and the
run's note (the summary the task set: records pulled, valid, quarantined...; on
failure the reason). Every call that fails is retried while the api-server is busy
(SQLite on two cores), then it is one line, never a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from hub.airflow.api import TERMINAL_RUN_STATES, AirflowApi, AirflowApiError

T = TypeVar("T")

# REST calls retried this often, POLL_S apart: the api-server answers slowly or with
# "database is locked" while SQLite is busy.
API_ATTEMPTS = 5
POLL_S = 2.0
# A run that has not finished in this long is reported as hung (a guard, not a wait:
# the slowest local run, hub_publish, takes about a minute).
RUN_HANG_GUARD_S = 900
# With no task changing state for this long, say what is still running.
QUIET_S = 30.0
# The failure callback sets a failed run's note just after the run's state: wait for it.
NOTE_WAIT_S = 15.0
# Markers of a task log the api-server could not find (the UI shows the same text).
MISSING_LOG_MARKERS = ("log file not found", "could not read served logs", "no logs found")


@dataclass
class Run:
    dag_id: str
    run_id: str
    state: str = "queued"
    note: str = ""
    seconds: float = 0.0
    tasks: dict[tuple[str, int], str] = field(default_factory=dict)

    def line(self) -> str:
        """The run in one line: state, duration, the note's first line (its headline)."""
        headline = self.note.strip().splitlines()[0].replace("**", "") if self.note else ""
        if not headline and self.state != "success":
            failed = sorted(t for (t, _), s in self.tasks.items() if s == "failed")
            headline = f"failed tasks: {', '.join(failed) or 'none'} (no note; see the task logs)"
        return f"{self.dag_id}: {self.state} in {self.seconds:.0f}s — {headline or 'no note'}"


def retrying(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    for attempt in range(API_ATTEMPTS):
        try:
            return call(*args, **kwargs)
        except AirflowApiError:
            if attempt == API_ATTEMPTS - 1:
                raise
            time.sleep(POLL_S)
    raise AssertionError("not reached")


def trigger(api: AirflowApi, dag_ids: list[str]) -> list[Run]:
    return [Run(d, retrying(api.trigger, d)["dag_run_id"]) for d in dag_ids]


def wait(api: AirflowApi, runs: list[Run], say: Callable[[str], None]) -> None:
    """Poll until every run is finished, saying each task's state changes as they happen."""
    started = time.monotonic()
    last_change = started
    pending = list(runs)
    while pending:
        for run in list(pending):
            if _refresh(api, run, say):
                last_change = time.monotonic()
            if run.state in TERMINAL_RUN_STATES:
                pending.remove(run)
                _finish(api, run)
                say(f"  {run.line()}")
        if not pending:
            return
        if time.monotonic() - started > RUN_HANG_GUARD_S:
            for run in pending:
                run.state = f"still {run.state} after {RUN_HANG_GUARD_S}s (see the UI)"
            return
        if time.monotonic() - last_change > QUIET_S:
            say("  waiting on " + ", ".join(f"{r.dag_id} ({_running(r)})" for r in pending))
            last_change = time.monotonic()
        time.sleep(POLL_S)


def _refresh(api: AirflowApi, run: Run, say: Callable[[str], None]) -> bool:
    """Read the run and its task instances; say what changed; True if anything did."""
    changed = False
    for ti in retrying(api.task_instances, run.dag_id, run.run_id):
        key = (ti["task_id"], int(ti.get("map_index", -1)))
        state = ti.get("state") or "none"
        if run.tasks.get(key) != state:
            run.tasks[key] = state
            changed = True
            if state not in ("none", "scheduled", "queued"):
                say(f"  {run.dag_id}: {_name(key)} {state}")
    reply = retrying(api.run, run.dag_id, run.run_id)
    run.state = reply["state"]
    run.note = reply.get("note") or ""
    run.seconds = _seconds(reply.get("start_date"), reply.get("end_date"))
    return changed


def _finish(api: AirflowApi, run: Run) -> None:
    """A finished run's note: a failed run's is set by its failure callback, just after."""
    deadline = time.monotonic() + NOTE_WAIT_S
    while not run.note and run.state == "failed" and time.monotonic() < deadline:
        time.sleep(POLL_S)
        run.note = retrying(api.run, run.dag_id, run.run_id).get("note") or ""


def _name(key: tuple[str, int]) -> str:
    task_id, index = key
    return task_id if index < 0 else f"{task_id}[{index}]"


def _running(run: Run) -> str:
    active = [_name(k) for k, s in run.tasks.items() if s in ("running", "up_for_retry")]
    return ", ".join(active) or run.state


def _seconds(start: str | None, end: str | None) -> float:
    if not start or not end:
        return 0.0
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def unreadable_logs(api: AirflowApi, run: Run) -> tuple[int, list[str]]:
    """Read every task log of ``run`` through the REST API: (logs read, those not readable)."""
    read, missing = 0, []
    for ti in retrying(api.task_instances, run.dag_id, run.run_id):
        tries = int(ti.get("try_number") or 0)
        if tries < 1:  # never ran (upstream failed): no log to have
            continue
        index = int(ti.get("map_index", -1))
        text = retrying(api.task_log, run.dag_id, run.run_id, ti["task_id"], tries, index)
        read += 1
        if not text.strip() or any(m in text.lower() for m in MISSING_LOG_MARKERS):
            missing.append(f"{run.dag_id} {_name((ti['task_id'], index))} try {tries}")
    return read, missing
