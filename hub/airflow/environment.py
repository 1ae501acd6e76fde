"""The Airflow environment of the hub, in one place.

``make run``, the test fixtures and ``infra/airflow/standalone.sh`` all run
Airflow with these variables: a SQLite metadata DB and logs under
``var/airflow``, the project's ``dags/`` folder, no example DAGs, the API bound
to loopback. The metadata DB, parallelism and auth settings already set in the
environment win, so an operator can point the same commands at Postgres.
"""

from __future__ import annotations

import os
from pathlib import Path

from hub.config import PROJECT_ROOT, Settings, load_settings, process_environment

DAGS_FOLDER = PROJECT_ROOT / "dags"
# Loopback port of the local api-server (UI + REST); next to the simulators' 18700.
DEFAULT_API_PORT = 18780
#: The scheduler's and the triggerer's log servers sit at these offsets from the api
#: port (18793 and 18794 by default, beside Airflow's own 8793 and 8794): two local
#: Airflows (the demo beside a test's, or another project's) then never share one.
WORKER_LOG_PORT_OFFSET = 13
TRIGGER_LOG_PORT_OFFSET = 14
# Two cores locally: more parallel task processes only queue on CPU and cost ~60 MB each.
LOCAL_PARALLELISM = 4
# Settings an operator may set in the environment to replace the local defaults.
OPERATOR_OVERRIDABLE = frozenset(
    {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CORE__PARALLELISM",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS",
    }
)


def airflow_home(settings: Settings) -> Path:
    return settings.var_dir / "airflow"


def api_base_url(port: int = DEFAULT_API_PORT) -> str:
    return f"http://127.0.0.1:{port}"


def port_env(port: int) -> dict[str, str]:
    """The variables that place a local Airflow on ``port`` (api-server, its execution
    API, and the log servers beside it)."""
    base = api_base_url(port)
    return {
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(port + WORKER_LOG_PORT_OFFSET),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(port + TRIGGER_LOG_PORT_OFFSET),
    }


def airflow_env(
    settings: Settings | None = None,
    *,
    port: int = DEFAULT_API_PORT,
    home: Path | None = None,
    inherit: bool = True,
) -> dict[str, str]:
    """Environment for any Airflow process of the hub (CLI, standalone, dag.test).

    With ``inherit`` the child starts from this process's environment (read by
    ``hub.config.process_environment``; this module reads none itself).
    """
    settings = settings or load_settings()
    home = home or airflow_home(settings)
    ours = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        # Local development only: every visitor of the loopback UI is an admin.
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__PARALLELISM": str(LOCAL_PARALLELISM),
        **port_env(port),
        "HUB_VAR_DIR": str(settings.var_dir),
    }
    if settings.external_kafka:
        ours["KAFKA_BOOTSTRAP_SERVERS"] = settings.kafka_bootstrap
    env: dict[str, str] = process_environment() if inherit else {}
    for key, value in ours.items():
        if key not in OPERATOR_OVERRIDABLE or key not in env:
            env[key] = value
    # Task processes import ``hub``: make the project importable without installing it.
    paths = [str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def apply(env: dict[str, str]) -> None:
    """Export ``env`` into this process; call before anything imports airflow."""
    os.environ.update(env)
