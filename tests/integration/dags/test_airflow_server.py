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
from urllib.parse import quote

import pytest

from hub.config import PROJECT_ROOT
from hub.ops.airflow_api import AirflowApi
from infra.demo import airflow_executable

pytestmark = pytest.mark.slow

# Standalone is up in ~10 s on 2 cores; a minute covers a loaded CI machine.
SERVER_START_TIMEOUT_S = 90
RUN_TIMEOUT_S = 90
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "var" / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
    # The UI is a React SPA: let it fetch and render before the capture.
    "--virtual-time-budget=15000",
]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
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
    def test_cli_backfill_creates_one_run_per_interval(
        self, airflow_server, broken_source, webhook_receiver
    ) -> None:
        api, dag_id = airflow_server.api, broken_source.dag_id
        webhook_receiver.drain()
        # Backfill runs of a paused DAG stay queued: unpause first (documented in the runbook).
        api.set_paused(dag_id, False)
        subprocess.run(
            [
                airflow_executable(),
                "backfill",
                "create",
                "--dag-id",
                dag_id,
                "--from-date",
                "2026-03-01",
                "--to-date",
                "2026-03-02",
                "--max-active-runs",
                "1",
            ],
            env=airflow_server.env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            runs = [r for r in api.runs(dag_id, limit=50) if r["run_type"] == "backfill"]
            if len(runs) == 2 and all(r["state"] in ("success", "failed") for r in runs):
                break
            assert time.monotonic() < deadline, [(r["dag_run_id"], r["state"]) for r in runs]
            time.sleep(2)
        intervals = sorted((r["data_interval_start"], r["data_interval_end"]) for r in runs)
        assert intervals == [
            ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"),
            ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"),
        ]
        # The endpoint is a closed port: each backfill run fails and its owner hears of it.
        assert {r["state"] for r in runs} == {"failed"}
        api.set_paused(dag_id, True)
        notified = {p["json"]["run_id"] for p in webhook_receiver.drain()}
        assert {r["dag_run_id"] for r in runs} <= notified
        for r in runs:
            self._failure_is_explained(api, dag_id, r["dag_run_id"], broken_source.name)

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


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
class TestUi:
    def _chromium(self, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
            capture_output=True,
            text=True,
            timeout=90,
        )

    def test_ui_shows_the_hub_dags_and_a_finished_run(
        self, airflow_server, broken_source, tmp_path
    ) -> None:
        api, broken_dag = airflow_server.api, broken_source.dag_id
        [run] = [r for r in api.runs("hub_reports", limit=5) if r["state"] == "success"][:1]
        dom = self._chromium(tmp_path, "--dump-dom", f"{airflow_server.url}/dags").stdout
        assert "source__partner_uzb" in dom and "hub_publish" in dom
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shots = {
            ARTIFACTS / "airflow-ui.png": f"{airflow_server.url}/dags",
            ARTIFACTS / "airflow-ui-run.png": (
                f"{airflow_server.url}/dags/hub_reports/runs/{quote(run['dag_run_id'], safe='')}"
            ),
        }
        failed = [r for r in api.runs(broken_dag, limit=20) if r["state"] == "failed"]
        if failed:  # left by TestBackfill: the operator's view of a failure
            run_path = f"/dags/{broken_dag}/runs/{quote(failed[0]['dag_run_id'], safe='')}"
            shots[ARTIFACTS / "airflow-ui-failed-run.png"] = f"{airflow_server.url}{run_path}"
            shots[ARTIFACTS / "airflow-ui-runs.png"] = (
                f"{airflow_server.url}/dags/{broken_dag}/runs"
            )
            dom = self._chromium(tmp_path, "--dump-dom", f"{airflow_server.url}{run_path}").stdout
            assert "failed in extract" in dom
        for path, url in shots.items():
            path.unlink(missing_ok=True)
            self._chromium(tmp_path, f"--screenshot={path}", url)
            # A blank page of this size compresses to a few KB; a rendered UI is far larger.
            assert path.exists() and path.stat().st_size > 30_000, path
