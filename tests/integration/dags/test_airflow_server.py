"""A real Airflow (``airflow standalone``: scheduler, dag-processor, api-server,
triggerer) on loopback, driven through its REST API and looked at with headless
Chromium. One server for the whole module; about a minute in all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from connectors.base import Window
from hub.airflow.api import AirflowApi, AirflowApiError
from hub.airflow.environment import port_env
from hub.airflow.local import airflow_executable
from tests.integration.dags.conftest import closed_port
from tests.support.backfill import BACKFILL_RECORDS, BACKFILL_STEP_S
from tests.support.chromium import ARTEFACTS, run_chromium

pytestmark = pytest.mark.slow

# A guard, not a wait: readiness is polled; on a loaded 2-core machine parsing the
# DAG files alone has taken over 90 s.
SERVER_START_TIMEOUT_S = 300
RUN_TIMEOUT_S = 300
# The UI test's own hub_reports run: polled by state; this only bounds a hang.
RUN_HANG_GUARD_S = 600
# A hang guard only: the test waits on the runs' states (two serial runs behind a
# scheduled one, each a few seconds of work plus Airflow's scheduling on 2 busy cores).
BACKFILL_HANG_GUARD_S = 900
POLL_S = 2.0
# REST calls retried this many times: the api-server answers slowly while SQLite is busy.
API_ATTEMPTS = 5
# The UI is a React SPA: let it fetch and render before the capture.
UI_FLAGS = ("--window-size=1400,900", "--virtual-time-budget=15000")
# Loads of one page before its content is judged missing (each a fresh Chromium).
UI_RENDER_ATTEMPTS = 3


class Server:
    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.env = env
        self.log = log
        self.api = AirflowApi(f"http://127.0.0.1:{port}")

    @property
    def url(self) -> str:
        return self.api.base_url


@pytest.fixture(scope="module")
def airflow_server(airflow_db, hub_settings, test_sources, tmp_path_factory) -> Iterator[Server]:
    port = closed_port()  # bound then released: free for the api-server
    env = {
        **os.environ,
        **port_env(port),
        # standalone starts its components with `airflow` from PATH.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    log = tmp_path_factory.mktemp("standalone") / "standalone.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [airflow_executable(), "standalone"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one below
        )
    server = Server(port, env, log)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _ready(server):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"airflow standalone did not come up:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield server
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _ready(server: Server) -> bool:
    """Healthy, and the dag-processor has parsed the hub's DAGs."""
    if not server.api.is_up():
        return False
    return {"hub_reports", "hub_publish"} <= {d["dag_id"] for d in server.api.dags(tag="mhub")}


class TestRestApi:
    def test_every_hub_dag_is_parsed_without_errors(self, airflow_server, test_sources) -> None:
        assert airflow_server.api.import_errors() == []
        dag_ids = {d["dag_id"] for d in airflow_server.api.dags(tag="mhub")}
        assert dag_ids >= {s.dag_id for s in test_sources} | {"hub_publish", "hub_reports"}

    def test_triggered_run_succeeds_and_carries_its_summary_note(self, airflow_server) -> None:
        api = airflow_server.api
        api.set_paused("hub_reports", False)
        run = api.trigger("hub_reports")
        done = api.wait_for_run("hub_reports", run["dag_run_id"], RUN_TIMEOUT_S)
        assert done["state"] == "success"
        tis = api.task_instances("hub_reports", run["dag_run_id"])
        assert [(t["task_id"], t["state"]) for t in tis] == [("render", "success")]
        # Set by the task itself through the REST API: the operator's view of the run.
        assert done["note"].startswith("**reports rebuilt**")


class TestBackfill:
    """A backfill of two days reads each day's records and nothing else.

    Waits on state, not time: the runs are strictly serial (``max_active_runs=1``)
    and compete with the scheduled run unpausing creates, so the deadline is only a
    guard against a hang, and every REST call is retried on a transient error.
    """

    def test_each_backfill_run_pulls_exactly_its_interval(
        self, airflow_server, backfill_source, backfill_agency, summaries
    ) -> None:
        api, dag_id = airflow_server.api, backfill_source.dag_id
        # Backfill runs of a paused DAG stay queued: unpause first (documented in the runbook).
        _retrying(api.set_paused, dag_id, False)
        _backfill(airflow_server, dag_id, "2026-03-01", "2026-03-02")
        deadline = time.monotonic() + BACKFILL_HANG_GUARD_S
        while True:
            runs = [r for r in _retrying(api.runs, dag_id, 50) if r["run_type"] == "backfill"]
            if len(runs) == 2 and all(r["state"] in ("success", "failed") for r in runs):
                break
            assert time.monotonic() < deadline, [(r["dag_run_id"], r["state"]) for r in runs]
            time.sleep(POLL_S)
        _retrying(api.set_paused, dag_id, True)
        runs.sort(key=lambda r: r["data_interval_start"])
        assert [(r["data_interval_start"], r["data_interval_end"], r["state"]) for r in runs] == [
            ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "success"),
            ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", "success"),
        ]
        # Publish and reports runs of other tests (any order) sit beside: they name no source.
        by_run = {s["run_id"]: s for s in summaries() if s.get("source") == backfill_source.name}
        gen = backfill_agency.generator
        for run in runs:
            window = Window.parse(run["data_interval_start"], run["data_interval_end"])
            expected = [
                i for i in range(BACKFILL_RECORDS) if window.contains(gen.updated_at("interior", i))
            ]
            assert len(expected) == 24 * 3600 // BACKFILL_STEP_S  # one record every 10 minutes
            summary = by_run[run["dag_run_id"]]
            assert summary["state"] == "success"
            assert summary["pulled"] == len(expected)
            # The scan stopped at the window's end (its newest record), not at the feed's.
            last = gen.updated_at("interior", expected[-1]).strftime("%Y-%m-%dT%H:%M:%SZ")
            assert last == window.end_iso
            position = summary["position"]
            assert position["backfill"] == window.to_dict()
            assert position["scan"]["updated_since"] == last



class TestFailedRun:
    """A failed run says why, in one line, in its note and in its readable task log."""

    def test_failed_run_note_and_log_name_the_reason(
        self, airflow_server, broken_source, webhook_receiver
    ) -> None:
        api, dag_id = airflow_server.api, broken_source.dag_id
        _retrying(api.set_paused, dag_id, False)
        run = _retrying(api.trigger, dag_id)
        done = api.wait_for_run(dag_id, run["dag_run_id"], RUN_TIMEOUT_S)
        _retrying(api.set_paused, dag_id, True)
        # The endpoint is a closed port: the run fails and its owner hears of it.
        assert done["state"] == "failed"
        notified = {p["json"]["run_id"] for p in webhook_receiver.drain()}
        assert run["dag_run_id"] in notified
        self._failure_is_explained(api, dag_id, run["dag_run_id"], broken_source.name)

    @staticmethod
    def _failure_is_explained(api: AirflowApi, dag_id: str, run_id: str, source: str) -> None:
        """The run's note names the reason in one line; the failed task's log is readable."""
        note = api.run(dag_id, run_id)["note"] or ""
        first = note.splitlines()[0] if note else ""
        assert first.startswith(f"**{source}: failed in extract** — "), note
        assert "Traceback" not in note and "| state | failed |" in note
        [extract] = [t for t in api.task_instances(dag_id, run_id) if t["task_id"] == "extract"]
        log = api.task_log(dag_id, run_id, "extract", extract["try_number"])
        reason = first.split(" — ", 1)[1]
        assert reason[:60] in log, log[-2000:]
        # kafka-python's INFO chatter stays out of the task log.
        assert "BrokerConnection" not in log and "Bootstrap" not in log


def _retrying(call: Any, *args: Any) -> Any:
    """A REST call to the api-server, retried while it is busy (SQLite, two cores)."""
    for attempt in range(API_ATTEMPTS):
        try:
            return call(*args)
        except AirflowApiError:
            if attempt == API_ATTEMPTS - 1:
                raise
            time.sleep(POLL_S)
    return None


def _backfill(server: Server, dag_id: str, start: str, end: str) -> None:
    """``airflow backfill create``; retried when SQLite was locked and nothing was created."""
    cmd = [airflow_executable(), "backfill", "create", "--dag-id", dag_id]
    cmd += ["--from-date", start, "--to-date", end, "--max-active-runs", "1"]
    for attempt in range(API_ATTEMPTS):
        done = subprocess.run(cmd, env=server.env, capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            return
        created = [r for r in _retrying(server.api.runs, dag_id, 50) if r["run_type"] == "backfill"]
        if created or attempt == API_ATTEMPTS - 1:
            raise AssertionError(f"backfill create failed:\n{done.stdout}\n{done.stderr}")
        time.sleep(POLL_S)


class TestUi:
    def _chromium(self, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return run_chromium(tmp_path / "profile", *UI_FLAGS, *args)

    def _finished_reports_run(self, api: AirflowApi) -> dict[str, Any]:
        """A successful hub_reports run: TestRestApi's, or (in random order, when this
        class runs first) one triggered here and waited for by its state."""
        done = [r for r in _retrying(api.runs, "hub_reports") if r["state"] == "success"]
        if done:
            return done[0]
        _retrying(api.set_paused, "hub_reports", False)
        run_id = _retrying(api.trigger, "hub_reports")["dag_run_id"]
        deadline = time.monotonic() + RUN_HANG_GUARD_S
        while (run := _retrying(api.run, "hub_reports", run_id))["state"] not in (
            "success", "failed"
        ):
            assert time.monotonic() < deadline, f"hub_reports {run_id} still {run['state']}"
            time.sleep(POLL_S)
        assert run["state"] == "success", run
        return run

    def _dom(self, tmp_path: Path, url: str) -> str:
        """The page's DOM after the SPA rendered it (what the screenshot shows)."""
        return self._chromium(tmp_path, "--dump-dom", url).stdout

    def _rendered(self, tmp_path: Path, url: str, expected: list[str]) -> tuple[str, list[str]]:
        """The DOM once it shows ``expected``: on two busy cores the SPA's API calls can
        outlast one virtual-time budget, so a page is loaded again before it is judged."""
        for _ in range(UI_RENDER_ATTEMPTS):
            dom = self._dom(tmp_path, url)
            # Case-blind: the UI capitalises states ("Success") in some views.
            missing = [text for text in expected if text.lower() not in dom.lower()]
            if not missing:
                break
        return dom, missing

    def test_ui_shows_the_hub_dags_and_a_finished_run(
        self, airflow_server, broken_source, tmp_path
    ) -> None:
        api, broken_dag = airflow_server.api, broken_source.dag_id
        run = self._finished_reports_run(api)
        run_path = f"/dags/hub_reports/runs/{quote(run['dag_run_id'], safe='')}"
        # Each page is checked by its content (a login or error page of the same size
        # would pass a size check), then captured for the operator's documentation.
        shots: dict[Path, tuple[str, list[str]]] = {
            ARTEFACTS / "airflow-ui.png": (
                f"{airflow_server.url}/dags", ["source__partner_uzb", "hub_publish", "hub_reports"]
            ),
            ARTEFACTS / "airflow-ui-run.png": (
                f"{airflow_server.url}{run_path}", ["hub_reports", run["dag_run_id"], "success"]
            ),
        }
        # A failed run with its note: TestFailedRun's (any order). The dag.test() runs of
        # test_dag_runs share this session's DB but keep their notes in-process.
        failed = [r for r in api.runs(broken_dag, limit=20)
                  if r["state"] == "failed" and "failed in extract" in (r.get("note") or "")]
        if failed:  # the operator's view of a failure
            failed_path = f"/dags/{broken_dag}/runs/{quote(failed[0]['dag_run_id'], safe='')}"
            shots[ARTEFACTS / "airflow-ui-failed-run.png"] = (
                f"{airflow_server.url}{failed_path}", ["failed in extract", broken_dag]
            )
            shots[ARTEFACTS / "airflow-ui-runs.png"] = (
                f"{airflow_server.url}/dags/{broken_dag}/runs",
                [broken_dag, failed[0]["dag_run_id"]],
            )
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        for path, (url, expected) in shots.items():
            dom, missing = self._rendered(tmp_path, url, expected)
            assert not missing, f"{url}: {missing} not on the page:\n{dom[-3000:]}"
            assert "<title>" in dom and "Sign In" not in dom and "Login" not in dom, url
            path.unlink(missing_ok=True)
            self._chromium(tmp_path, f"--screenshot={path}", url)
            assert path.exists() and path.stat().st_size > 30_000, path
