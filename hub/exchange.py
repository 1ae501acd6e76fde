"""``mhub run``: the whole exchange end to end on the local defaults, through Airflow.

Starts what it needs (the local Kafka broker unless ``KAFKA_BOOTSTRAP_SERVERS``
names a cluster, the agency simulators), creates the topics, migrates the
Airflow metadata DB (SQLite under ``var/airflow``), runs every source DAG once,
then the publish DAG and the reports DAG, and prints the summary and how to
open the UI. DAGs run with ``dag.test()`` in this process: the real DAGs, tasks,
XComs, callbacks and asset events, recorded in the metadata DB the UI shows,
without waiting for a scheduler.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hub.airflow_env import airflow_env, api_base_url, apply
from hub.config import PROJECT_ROOT, Settings, load_settings

# `airflow db migrate` takes ~2-5 s on SQLite; a minute means something is wrong.
DB_MIGRATE_TIMEOUT_S = 300
# DAGs that run after the sources, in this order.
AFTER_SOURCES = ("hub_publish", "hub_reports")


def _say(msg: str) -> None:
    print(f"mhub run: {msg}", flush=True)


def start_broker(settings: Settings) -> None:
    if settings.external_kafka:
        _say(f"using the Kafka cluster at {settings.kafka_bootstrap}")
        return
    from infra.kafka import broker

    _say(f"Kafka broker: {broker.start(settings)}")


def start_agencies(settings: Settings) -> Any:
    """Start the agency simulators; return a handle with ``stop()`` or None.

    INTEGRATION POINT (infra.agencies, built by the agencies helper): the
    simulators' server module is expected to offer ``start(settings) -> handle``
    serving /interior, /labour, /sdmx and /partner/{country} on 127.0.0.1:18700
    and filling the labour file-drop folder. Until it exists, sources that need
    it fail their extract task and their owners are notified, as in production.
    """
    try:
        from infra.agencies import server  # type: ignore[attr-defined]
    except ImportError:
        _say("agency simulators not available in this build (infra.agencies.server)")
        return None
    handle = server.start(settings)
    _say("agency simulators serving on 127.0.0.1:18700")
    return handle


def create_topics(settings: Settings) -> None:
    from hub.kafka_io import ensure_topics
    from hub.topics import topics_for

    created = ensure_topics(topics_for(settings).specs(), settings)
    _say(f"topics: {len(created)} created" if created else "topics: all present")


def migrate_airflow_db(env: dict[str, str]) -> None:
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        [airflow_executable(), "db", "migrate"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=DB_MIGRATE_TIMEOUT_S,
    )
    _say(f"Airflow metadata DB ready ({time.monotonic() - started:.1f}s, {env['AIRFLOW_HOME']})")


def airflow_executable() -> str:
    """The ``airflow`` of this interpreter's environment (standalone calls it from PATH)."""
    here = Path(sys.executable).parent / "airflow"
    return str(here) if here.exists() else (shutil.which("airflow") or "airflow")


def run_dags(dag_ids: list[str]) -> dict[str, str]:
    """``dag.test()`` each DAG in turn; return dag_id -> final run state."""
    from airflow.dag_processing.dagbag import DagBag

    from hub.airflow_env import DAGS_FOLDER

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        for path, err in bag.import_errors.items():
            _say(f"DAG import error in {path}:\n{err}")
        raise SystemExit(1)
    states: dict[str, str] = {}
    for dag_id in dag_ids:
        started = time.monotonic()
        _say(f"running {dag_id} ...")
        dr = bag.dags[dag_id].test()
        states[dag_id] = str(getattr(dr.state, "value", dr.state))
        _say(f"  {dag_id}: {states[dag_id]} in {time.monotonic() - started:.1f}s")
    return states


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", action="append", metavar="NAME", help="run only these sources (repeatable)"
    )
    parser.add_argument("--no-publish", action="store_true", help="run stage 1 only")
    parser.add_argument("--verbose", action="store_true", help="show Airflow's task logs")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    env = airflow_env(settings)
    if not args.verbose:
        env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    apply(env)  # before anything imports airflow
    from hub.sources import load_sources

    sources = [s for s in load_sources() if not args.source or s.name in args.source]
    if not sources:
        _say(f"no source matches {args.source}")
        return 2
    start_broker(settings)
    agencies = start_agencies(settings)
    try:
        create_topics(settings)
        migrate_airflow_db(env)
        dag_ids = [s.dag_id for s in sources]
        if not args.no_publish:
            dag_ids += list(AFTER_SOURCES)
        states = run_dags(dag_ids)
    finally:
        if agencies is not None:
            agencies.stop()
    from hub import status

    print()
    print(status.render(status.collect(settings)))
    print()
    failed = sorted(d for d, s in states.items() if s != "success")
    _say(
        f"{len(states) - len(failed)} of {len(states)} DAG runs succeeded"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    _say(f"reports: {settings.var_dir / 'reports' / 'index.html'}")
    _say(
        "open the Airflow UI: infra/airflow/standalone.sh (or `mhub airflow-ui`), then "
        f"{api_base_url()} — the runs above are in its history (AIRFLOW_HOME="
        f"{os.path.relpath(env['AIRFLOW_HOME'], PROJECT_ROOT)})"
    )
    return 0 if not failed else 1
