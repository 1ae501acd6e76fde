"""The local Airflow the hub starts for development (``mhub airflow-ui``, ``make run``, the
DAG tests): which ``airflow`` to run and its metadata DB made ready. In the product package
so that ``mhub airflow-ui`` imports nothing from ``infra/``; it still runs only from a
checkout, because the DAG files (``dags/``) are not packaged: from an install it says so."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

# `airflow db migrate` takes ~2-5 s on SQLite (a minute on a busy machine); five means
# something is wrong.
DB_MIGRATE_TIMEOUT_S = 300


def airflow_executable() -> str:
    """The ``airflow`` of this interpreter's environment (standalone calls it from PATH)."""
    here = Path(sys.executable).parent / "airflow"
    return str(here) if here.exists() else (shutil.which("airflow") or "airflow")


def migrate_airflow_db(env: dict[str, str]) -> float:
    """Create or upgrade the metadata DB under ``AIRFLOW_HOME``; the seconds it took."""
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    done = subprocess.run(
        [airflow_executable(), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=DB_MIGRATE_TIMEOUT_S,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"`airflow db migrate` failed: {last}")
    return time.monotonic() - started
