"""Where a local Airflow listens: every port follows the api port it is given."""

from __future__ import annotations

from pathlib import Path

from hub.airflow.environment import DEFAULT_API_PORT, airflow_env
from hub.config import Settings

_PORT_KEYS = ("AIRFLOW__API__PORT", "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
              "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT")


def _ports(port: int, tmp_path: Path) -> set[int]:
    env = airflow_env(Settings(var_dir=tmp_path), port=port, inherit=False)
    assert env["AIRFLOW__API__BASE_URL"] == f"http://127.0.0.1:{port}"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith(f"http://127.0.0.1:{port}/")
    return {int(env[k]) for k in _PORT_KEYS}


def test_two_local_airflows_share_no_port(tmp_path: Path) -> None:
    """The demo's Airflow and a test's run side by side: before, both served task logs
    on Airflow's fixed 8793 and 8794."""
    demo, test = _ports(DEFAULT_API_PORT, tmp_path), _ports(41234, tmp_path)
    assert len(demo) == len(test) == 3
    assert demo.isdisjoint(test)
    assert not demo & {8793, 8794}
