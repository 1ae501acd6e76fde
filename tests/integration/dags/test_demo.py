"""``make run`` (``python -m infra.demo``) end to end: a real Airflow, driven through its REST API.

One demo run for the module, as an operator starts it, with two sources (one on a
closed port: an agency that is down) and the publish and reports DAGs, in its own
var dir, topic prefix, Airflow home and ports. Afterwards the task logs of the
runs the demo made are read through the REST API, as the UI reads them, and the
Airflow it left running is stopped with ``--stop``. About two minutes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from hub.airflow.api import AirflowApi
from hub.config import PROJECT_ROOT
from hub.sources import SourceConfig, load_sources
from infra.demo import sources_toml
from tests.integration.dags.conftest import closed_port
from tests.support.names import topic_prefix

pytestmark = pytest.mark.slow

# A hang guard for the whole demo (it waits on run states; about two minutes here).
DEMO_TIMEOUT_S = 900
# Stopping standalone's process group: seconds, killed after 30.
STOP_TIMEOUT_S = 120
OK_SOURCE = "interior_border"
DOWN_SOURCE = "interior_down"


@dataclass
class Demo:
    rc: int
    output: str
    api: AirflowApi

    def last_run(self, dag_id: str) -> dict:
        [run] = self.api.runs(dag_id, limit=5)  # the demo's own run, the only one
        return run

    def log(self, dag_id: str, task_id: str) -> str:
        run = self.last_run(dag_id)
        [ti] = [t for t in self.api.task_instances(dag_id, run["dag_run_id"])
                if t["task_id"] == task_id]
        return self.api.task_log(dag_id, run["dag_run_id"], task_id, ti["try_number"])


def _sources(path: Path) -> None:
    [ok] = [s for s in load_sources(PROJECT_ROOT / "sources.toml") if s.name == OK_SOURCE]
    down = SourceConfig(
        name=DOWN_SOURCE,
        family="interior",
        endpoint=f"http://127.0.0.1:{closed_port()}/interior",
        owner="test owner <owner@example.kz>",
        # The connector's own quick retries only: the demo gives Airflow one retry.
        options={"http_max_attempts": 2, "http_backoff_base_s": 0.05},
    )
    path.write_text(sources_toml([replace(ok, notify=""), down]), encoding="utf-8")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, kafka_settings) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("demo")
    _sources(root / "sources.toml")
    # Nothing of this session's Airflow or hub settings: the demo makes its own.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HUB_"))}
    env |= {
        "HUB_VAR_DIR": str(root / "var"),
        "HUB_TOPIC_PREFIX": topic_prefix("demo"),
        "HUB_INTAKE_PARTITIONS": "2",
        "HUB_SOURCES_FILE": str(root / "sources.toml"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    port = closed_port()  # bound then released: free for the api-server
    cmd = [sys.executable, "-m", "infra.demo", "--port", str(port), "--agencies-port", "0"]
    try:
        done = subprocess.run(
            cmd, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=DEMO_TIMEOUT_S
        )
        yield Demo(done.returncode, done.stdout + done.stderr, AirflowApi(f"http://127.0.0.1:{port}"))
    finally:
        stop = subprocess.run(
            [sys.executable, "-m", "infra.demo", "--stop"],
            env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=STOP_TIMEOUT_S,
        )
        assert stop.returncode == 0, stop.stdout + stop.stderr


class TestDemo:
    def test_every_run_is_made_by_airflow_and_its_task_logs_are_readable(self, demo) -> None:
        out = demo.output
        for dag_id in (f"source__{OK_SOURCE}", "hub_publish", "hub_bureau_feed", "hub_reports"):
            assert re.search(rf"^make run: {dag_id}: success in \d+s — ", out, re.M), out
        assert f"{OK_SOURCE}: success — " in out and " pulled, " in out  # the note's records
        logs = r"task logs readable through the REST API: (\d+) of (\d+)"
        [(read, total)] = re.findall(logs, out)
        assert read == total and int(total) >= 6, out
        assert "Airflow UI: http://127.0.0.1:" in out
        # The task logs of a run the demo made, through the REST API: the task's own
        # progress lines, not "Log file not found".
        extract = demo.log(f"source__{OK_SOURCE}", "extract")
        assert re.search(rf"{OK_SOURCE}: page pulled: \d+ records", extract), extract[-2000:]
        intake = demo.log(f"source__{OK_SOURCE}", "intake")
        assert re.search(rf"{OK_SOURCE}: page 1 committed in \d+ ms", intake), intake[-2000:]
        assert f"**{OK_SOURCE}: success**" in intake  # the run summary
        # The demo paused what it unpaused: nothing runs against its stopped simulators.
        assert all(d["is_paused"] for d in demo.api.dags(tag="mhub"))

    def test_an_agency_that_is_down_is_one_line_with_its_reason(self, demo) -> None:
        out = demo.output
        assert demo.rc == 1, out
        assert "Traceback" not in out, out
        summary = [
            line for line in out.splitlines()
            if line.startswith(f"make run: source__{DOWN_SOURCE}: failed in ")
        ]
        assert summary, out
        reason = f"{DOWN_SOURCE}: failed in extract — SourceUnavailable: "
        assert all(reason in line and "Connection refused" in line for line in summary), summary
        # two sources, hub_publish, hub_bureau_feed, hub_reports
        assert f"4 of 5 DAG runs succeeded; failed: source__{DOWN_SOURCE}" in out
        # The failed run's note and its task log (readable via REST) say the same.
        run = demo.last_run(f"source__{DOWN_SOURCE}")
        assert run["state"] == "failed" and reason in run["note"].replace("**", "")
        log = demo.log(f"source__{DOWN_SOURCE}", "extract")
        assert "Connection refused" in log, log[-2000:]
