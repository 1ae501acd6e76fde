"""``mhub airflow-ui``: Airflow standalone (scheduler, dag-processor, api-server,
triggerer) on the hub's local environment, UI at http://127.0.0.1:18780.

Local development only: SQLite, every visitor is an admin, bound to loopback. It runs the
checkout's ``dags/`` (not in the package): from an install it says so and starts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hub.airflow.environment import DAGS_FOLDER, DEFAULT_API_PORT, airflow_env
from hub.airflow.local import airflow_executable, migrate_airflow_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_API_PORT,
                        help=f"UI and REST API port (default {DEFAULT_API_PORT})")


def run(args: argparse.Namespace) -> int:
    if not DAGS_FOLDER.is_dir():  # an installed wheel: an Airflow with no hub DAG helps no one
        print("mhub airflow-ui: a development tool; run it from a checkout of the hub",
              file=sys.stderr)
        return 2
    env = airflow_env(port=args.port)
    # standalone runs `airflow` from PATH: make it this environment's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    migrate_airflow_db(env)
    print(f"Airflow UI: http://127.0.0.1:{args.port}  (Ctrl-C stops it)", flush=True)
    os.execvpe(airflow_executable(), [airflow_executable(), "standalone"], env)
    return 0  # not reached
