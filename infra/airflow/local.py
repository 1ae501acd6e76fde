"""A real Airflow for ``make run``: ``airflow standalone`` in the background.

Scheduler, dag-processor, api-server and triggerer run as their own process group,
their output in ``<AIRFLOW_HOME>/demo-airflow.log``; ``demo-airflow.json`` beside it
records the process and the environment it was started with, so a second
``make run`` reuses a running Airflow started the same way and ``make airflow-stop``
(``python -m infra.demo --stop``) stops it. Tasks run in Airflow's own worker
processes, so every task writes the log file the UI and the REST API show.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hub.airflow.api import AirflowApi, AirflowApiError
from hub.errors import HubError

# Standalone is up in ~11 s; the dag-processor has taken over 90 s to parse the DAG
# files on a loaded 2-core machine. A guard against a hang, not a wait.
START_TIMEOUT_S = 300
# SIGTERM stops standalone's components in a few seconds; then they are killed.
STOP_TIMEOUT_S = 30
# How often readiness and process state are polled.
POLL_S = 1.0
# With import errors, the DAGs that did load are taken once no new DAG appeared for
# this long (the dag-processor parses one file in well under this).
SETTLE_S = 15.0
# Variables that decide what the Airflow processes do: a running Airflow is reused
# only when they are the same.
FINGERPRINT_PREFIXES = ("HUB_", "KAFKA_", "AIRFLOW")


class LocalAirflowError(HubError):
    """The local Airflow could not be started, reached or stopped."""


@dataclass
class LocalAirflow:
    """One standalone Airflow under ``home``, answering on ``api``."""

    home: Path
    api: AirflowApi
    pid: int
    reused: bool
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return log_path(self.home)


def state_path(home: Path) -> Path:
    return home / "demo-airflow.json"


def log_path(home: Path) -> Path:
    return home / "demo-airflow.log"


def fingerprint(env: dict[str, str]) -> str:
    items = sorted((k, v) for k, v in env.items() if k.startswith(FINGERPRINT_PREFIXES))
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recorded(home: Path) -> dict | None:
    try:
        state = json.loads(state_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and _alive(int(state.get("pid", 0))) else None


def start(env: dict[str, str], airflow: str) -> LocalAirflow:
    """Reuse the Airflow a previous run started with the same environment, else start one."""
    home = Path(env["AIRFLOW_HOME"])
    api = AirflowApi(env["AIRFLOW__API__BASE_URL"])
    state = _recorded(home)
    if state and state.get("fingerprint") == fingerprint(env) and api.is_up():
        return LocalAirflow(home, api, int(state["pid"]), reused=True)
    if state:
        stop(home)  # started with other settings: its tasks would not see this run's
    if api.is_up():
        raise LocalAirflowError(
            f"an Airflow that `make run` did not start answers on {api.base_url}; stop it "
            "(Ctrl-C where `mhub airflow-ui` runs) or choose another port with --port"
        )
    home.mkdir(parents=True, exist_ok=True)
    with log_path(home).open("wb") as out:
        proc = subprocess.Popen(
            [airflow, "standalone"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, outlives us
        )
    record = {"pid": proc.pid, "url": api.base_url, "fingerprint": fingerprint(env)}
    state_path(home).write_text(json.dumps(record), encoding="utf-8")
    return LocalAirflow(home, api, proc.pid, reused=False, proc=proc)


def wait_ready(server: LocalAirflow, dag_ids: list[str], since: datetime) -> list[str]:
    """Wait until the api-server answers and the dag-processor parsed ``dag_ids`` after
    ``since``; return the ids that are loaded (all, unless DAG files have import errors)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    loaded: set[str] = set()
    settled_at = time.monotonic()
    while True:
        _check_running(server)
        fresh = _parsed_since(server.api, since) if server.api.is_up() else set()
        if set(dag_ids) <= fresh:
            return list(dag_ids)
        if fresh != loaded:
            loaded, settled_at = fresh, time.monotonic()
        if fresh and time.monotonic() - settled_at > SETTLE_S and _errors(server.api):
            return [d for d in dag_ids if d in fresh]
        if time.monotonic() > deadline:
            missing = sorted(set(dag_ids) - fresh)
            raise LocalAirflowError(
                f"Airflow did not parse {', '.join(missing)} within {START_TIMEOUT_S}s; "
                f"see {server.log}"
            )
        time.sleep(POLL_S)


def _check_running(server: LocalAirflow) -> None:
    gone = server.proc.poll() is not None if server.proc else not _alive(server.pid)
    if gone:
        raise LocalAirflowError(f"airflow standalone exited; the end of {server.log} says why")


def _parsed_since(api: AirflowApi, since: datetime) -> set[str]:
    try:
        dags = api.dags(tag="mhub")
    except AirflowApiError:
        return set()  # the api-server answers health before its DAG routes are ready
    return {d["dag_id"] for d in dags if _after(d.get("last_parsed_time"), since)}


def _after(stamp: str | None, since: datetime) -> bool:
    if not stamp:
        return False
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) >= since


def _errors(api: AirflowApi) -> list[dict]:
    try:
        return api.import_errors()
    except AirflowApiError:
        return []


def import_error_lines(api: AirflowApi) -> list[str]:
    """Each DAG file's import error as one line (the file, then the error's last line)."""
    lines = []
    for err in _errors(api):
        text = str(err.get("stack_trace", "")).strip().splitlines()
        lines.append(f"{err.get('filename', '?')}: {text[-1] if text else 'import error'}")
    return lines


def stop(home: Path) -> bool:
    """Stop the Airflow a run started under ``home``; False when none was running."""
    state = _recorded(home)
    state_path(home).unlink(missing_ok=True)
    if not state:
        return False
    pid = int(state["pid"])
    for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, STOP_TIMEOUT_S)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not _group_alive(pid):
                return True
            time.sleep(POLL_S)
    raise LocalAirflowError(f"Airflow process group {pid} did not stop")


def _group_alive(pgid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pgid, os.WNOHANG)  # reap our own child, if it is one
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def venv_path(env: dict[str, str]) -> str:
    """PATH with this interpreter's bin first: standalone calls ``airflow`` from PATH."""
    return os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
