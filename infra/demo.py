"""``make run`` (``python -m infra.demo``): the whole exchange end to end, through Airflow.

Starts what it needs (the local Kafka broker unless ``KAFKA_BOOTSTRAP_SERVERS``
names a cluster, the agency simulators), creates the topics, migrates the
Airflow metadata DB (SQLite under ``var/airflow``), runs every source DAG once,
then the publish DAG and the reports DAG, and prints the summary and how to
open the UI. A source that is down fails after one quick retry (the scheduled
DAGs keep the configured retry policy) and its owner is notified.

DAGs run with ``dag.test()`` in this process: the real DAGs, tasks, XComs,
callbacks and asset events, recorded in the metadata DB the UI shows,
without waiting for a scheduler.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from hub.config import Settings, load_settings
from hub.ops.airflow_env import airflow_env, api_base_url, apply
from hub.sources import SourceConfig, load_sources

# `airflow db migrate` takes ~2-5 s on SQLite; a minute means something is wrong.
DB_MIGRATE_TIMEOUT_S = 300
# DAGs that run after the sources, in this order.
AFTER_SOURCES = ("hub_publish", "hub_reports")
# Where sources.toml expects the simulators (the local default endpoints).
AGENCIES_PORT = 18700
AGENCIES_SEED = 42
# Records each simulated agency has published when a local run starts: every rule
# and outcome shows up, and the whole run takes well under a minute on 2 cores.
LOCAL_RECORDS = {"interior": 400, "labour": 150, "partner": 60}
LOCAL_DROP_FILES = 3
# A one-shot run should report a source that is down in seconds, not after the
# configured production back-off (minutes): one retry, two seconds later.
DEMO_RETRIES = 1
DEMO_RETRY_DELAY_S = 2


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def sources_toml(sources: list[SourceConfig]) -> str:
    """A sources configuration that ``load_sources`` reads back as ``sources``."""
    tables = []
    for s in sources:
        lines = ["[[source]]"]
        kept = [f for f in fields(s) if not f.metadata.get("per_run")]  # e.g. a run's window
        lines += [f"{f.name} = {_toml_value(getattr(s, f.name))}" for f in kept]
        tables.append("\n".join(lines))
    return "\n\n".join(tables) + "\n"


def _say(msg: str) -> None:
    print(f"make run: {msg}", flush=True)


def start_broker(settings: Settings) -> None:
    if settings.external_kafka:
        _say(f"using the Kafka cluster at {settings.kafka_bootstrap}")
        return
    from infra.kafka import broker

    _say(f"Kafka broker: {broker.start(settings)}")


def start_agencies(
    settings: Settings, port: int = AGENCIES_PORT, *, seed: int = AGENCIES_SEED
) -> Any:
    """The agency simulators (infra.agencies) on ``port``, all families; None if one answers.

    Partners sign their documents with the development PKI under ``var/pki`` (the
    hub trusts its partner CAs); the labour file drop is ``var/dropbox/labour``,
    the ``drop_dir`` of the local sources.
    """
    from infra.agencies.generator import Generator, GeneratorConfig
    from infra.agencies.reference import PARTNER_STATES
    from infra.agencies.server import AgencySimulator
    from infra.agencies.signing import partner_signer
    from infra.kafka.broker import answers

    if port and answers("127.0.0.1", port):
        _say(f"agency simulators already serving on 127.0.0.1:{port}")
        return None
    from hub.keys import open_pki

    counts: dict[str, int] = {
        "interior": LOCAL_RECORDS["interior"],
        "labour": LOCAL_RECORDS["labour"],
    }
    counts |= {f"partner:{state}": LOCAL_RECORDS["partner"] for state in PARTNER_STATES}
    sim = AgencySimulator(
        Generator(GeneratorConfig(seed=seed)),
        host="127.0.0.1",
        port=port,
        counts=counts,
        signer=partner_signer(open_pki(settings)),
        drop_dir=drop_dir(settings),
    ).start()
    sim.state.filedrop.write(LOCAL_DROP_FILES)
    _say(f"agency simulators serving on {sim.url}")
    return sim


def drop_dir(settings: Settings) -> Path:
    path = settings.var_dir / "dropbox" / "labour"
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_topics(settings: Settings) -> None:
    from hub.kafka.topics import ensure_topics, topics_for

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

    from hub.ops.airflow_env import DAGS_FOLDER

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        for path, err in bag.import_errors.items():
            _say(f"DAG import error in {path}:\n{err}")
        raise SystemExit(1)
    states: dict[str, str] = {}
    for dag_id in dag_ids:
        started = time.monotonic()
        _say(f"running {dag_id} ...")
        dag = bag.dags[dag_id]
        for task in dag.tasks:  # this run only; the scheduled DAGs keep their policy
            task.retries = min(task.retries, DEMO_RETRIES)
            task.retry_delay = timedelta(seconds=DEMO_RETRY_DELAY_S)
        dr = dag.test()
        _save_note(dag_id, dr.run_id)
        states[dag_id] = str(getattr(dr.state, "value", dr.state))
        _say(f"  {dag_id}: {states[dag_id]} in {time.monotonic() - started:.1f}s")
    return states


def _save_note(dag_id: str, run_id: str) -> None:
    """Make the run summary the run's note (no api-server runs here to take it)."""
    from hub.ops.airflow_api import NOTE_MAX_CHARS
    from hub.ops.tasks import PENDING_NOTES

    note = PENDING_NOTES.pop((dag_id, run_id), None)
    if note is None:
        return
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        if run is not None:
            run.note = note[:NOTE_MAX_CHARS]


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
    configured = load_sources()
    sources = [s for s in configured if not args.source or s.name in args.source]
    if not sources:
        _say(f"no source matches {args.source}")
        return 2
    apply(env)  # before anything imports airflow
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
    from hub.ops import status

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
        f"{env['AIRFLOW_HOME']})"
    )
    return 0 if not failed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.demo", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
