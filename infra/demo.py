"""``make run`` (``python -m infra.demo``): the whole exchange end to end, through Airflow.

Starts what it needs (the local Kafka broker unless ``KAFKA_BOOTSTRAP_SERVERS``
names a cluster, the agency simulators, a real Airflow: ``airflow standalone`` with
its SQLite metadata DB and logs under ``var/airflow``), creates the topics, waits
until the dag-processor has parsed the DAGs, then through the REST API triggers
every source DAG, then the publish DAG, then the reports DAG, waiting on each run's
state. It prints every task's state changes, one line per run (state, duration, the
run's note: records, or on failure the reason) and checks that every task's log is
readable through the REST API, as the UI reads it.

Airflow keeps running afterwards (the UI link at the end shows these runs and their
logs) with the DAGs paused: the simulators stop with this command, and scheduled
runs against them would only fail. ``python -m infra.demo --stop`` (``make
airflow-stop``) stops it; ``--stop-airflow`` stops it at the end of the run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.airflow.api import AirflowApi
from hub.airflow.environment import DEFAULT_API_PORT, airflow_env, airflow_home
from hub.airflow.local import airflow_executable, migrate_airflow_db
from hub.config import Settings, load_settings
from hub.sources import SourceConfig, load_each
from infra.airflow import local, runs

# DAGs that run after the sources, in this order.
AFTER_SOURCES = ("hub_publish", "hub_bureau_feed", "hub_reports")
# Where sources.toml expects the simulators (the local default endpoints).
AGENCIES_PORT = 18700
AGENCIES_SEED = 42
# Records each simulated agency has published when a local run starts: every rule
# and outcome shows up, and the whole run takes well under a minute on 2 cores.
LOCAL_RECORDS = {"interior": 400, "labour": 150, "partner": 60}
LOCAL_DROP_FILES = 3
# A one-shot run should report a source that is down in seconds, not after the
# configured production back-off (minutes): one retry, two seconds later (the
# demo's own sources file; sources.toml and its scheduled DAGs keep their policy).
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
    settings: Settings, port: int = AGENCIES_PORT, *, seed: int = AGENCIES_SEED,
    signer: Any = None,
) -> Any:
    """The agency simulators (infra.agencies) on ``port``, all families; None if one answers.

    Partners sign their documents with the development PKI under ``var/pki`` (the
    hub trusts its partner CAs), or with ``signer`` (a test's: the same signed bytes
    for two hubs); the labour file drop is ``var/dropbox/labour``, the ``drop_dir`` of
    the local sources.
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
        signer=signer or partner_signer(open_pki(settings)),
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


def demo_sources(sources: list[SourceConfig], agencies_url: str) -> list[SourceConfig]:
    """The sources as this run's Airflow sees them: on this run's simulators, and failing
    after one quick retry (a one-shot run should report a source that is down in
    seconds, not after the production back-off); the sources file is untouched."""
    local = f"http://127.0.0.1:{AGENCIES_PORT}"
    return [
        replace(
            s,
            endpoint=s.endpoint.replace(local, agencies_url) if agencies_url else s.endpoint,
            retries=min(s.retries, DEMO_RETRIES),
            retry_delay_s=min(s.retry_delay_s, DEMO_RETRY_DELAY_S),
        )
        for s in sources
    ]


def demo_airflow_env(settings: Settings, port: int, sources_file: Path) -> dict[str, str]:
    """The hub's Airflow environment, reading the demo's sources; no scheduled or
    asset-triggered runs: the demo triggers each DAG itself, in order."""
    env = airflow_env(settings, port=port)
    env["HUB_SOURCES_FILE"] = str(sources_file)
    env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = "False"
    env["PATH"] = local.venv_path(env)
    return env


def start_airflow(env: dict[str, str]) -> local.LocalAirflow:
    took = migrate_airflow_db(env)
    _say(f"Airflow metadata DB ready ({took:.1f}s, {env['AIRFLOW_HOME']})")
    server = local.start(env, airflow_executable())
    how = "reusing the Airflow" if server.reused else "started Airflow"
    _say(f"{how} at {server.api.base_url} (pid {server.pid}, log {server.log})")
    return server


def wait_for_dags(server: local.LocalAirflow, dag_ids: list[str]) -> list[str]:
    """The DAGs parsed from this run's sources file; an import error is one line each."""
    since = datetime.now(UTC)
    started = time.monotonic()
    _say("waiting for the dag-processor to parse the DAGs ...")
    loaded = local.wait_ready(server, dag_ids, since)
    _say(f"{len(loaded)} DAGs parsed in {time.monotonic() - started:.0f}s")
    for line in local.import_error_lines(server.api):
        _say(f"DAG import error: {line}")
    return loaded


def drive(api: AirflowApi, dag_ids: list[str], publish: bool) -> list[runs.Run]:
    """Every source DAG at once, then hub_publish, hub_bureau_feed, hub_reports; each waited on."""
    sources = [d for d in dag_ids if d not in AFTER_SOURCES]
    steps = [sources] + ([[d] for d in AFTER_SOURCES if d in dag_ids] if publish else [])
    paused = {d["dag_id"]: d["is_paused"] for d in runs.retrying(api.dags, "mhub")}
    done: list[runs.Run] = []
    try:
        for step in steps:
            for dag_id in step:  # runs of a paused DAG stay queued
                runs.retrying(api.set_paused, dag_id, False)
            _say(f"triggering {', '.join(step)}")
            started = runs.trigger(api, step)
            runs.wait(api, started, _say)
            done += started
    finally:
        for dag_id in {d for step in steps for d in step}:
            runs.retrying(api.set_paused, dag_id, paused.get(dag_id, True))
    return done


def check_logs(api: AirflowApi, done: list[runs.Run]) -> bool:
    read, missing = 0, []
    for run in done:
        n, bad = runs.unreadable_logs(api, run)
        read, missing = read + n, missing + bad
    _say(
        f"task logs readable through the REST API: {read - len(missing)} of {read} "
        f"(every task that ran, in {len(done)} run{'' if len(done) == 1 else 's'})"
    )
    for line in missing:
        _say(f"  no log: {line}")
    return not missing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", action="append", metavar="NAME", help="run only these sources (repeatable)"
    )
    parser.add_argument("--no-publish", action="store_true", help="run stage 1 only")
    parser.add_argument("--port", type=int, default=DEFAULT_API_PORT, help="Airflow UI/API port")
    parser.add_argument(
        "--agencies-port", type=int, default=AGENCIES_PORT, help="simulators' port (0: any free)"
    )
    parser.add_argument("--stop-airflow", action="store_true", help="stop Airflow at the end")
    parser.add_argument("--stop", action="store_true", help="only stop the demo's Airflow")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.stop:
        stopped = local.stop(airflow_home(settings))
        _say("Airflow stopped" if stopped else "no Airflow started by make run is running")
        return 0
    configured, problems = load_each()  # a bad source is one line; the others still run
    for problem in problems:
        _say(f"skipped: {problem} (`mhub sources check` lists every problem)")
    sources = [s for s in configured if not args.source or s.name in args.source]
    if not sources:
        _say(f"no source matches {args.source}")
        return 2
    start_broker(settings)
    agencies = start_agencies(settings, args.agencies_port)
    try:
        create_topics(settings)
        sim_url = agencies.url if agencies is not None else ""
        demo_file = airflow_home(settings) / "demo-sources.toml"
        demo_file.parent.mkdir(parents=True, exist_ok=True)
        demo_file.write_text(sources_toml(demo_sources(sources, sim_url)), encoding="utf-8")
        env = demo_airflow_env(settings, args.port, demo_file)
        server = start_airflow(env)
        try:
            done, logs_ok = _exchange(server, [s.dag_id for s in sources], not args.no_publish)
        finally:
            if args.stop_airflow:
                local.stop(server.home)
    finally:
        if agencies is not None:
            agencies.stop()
    rc = _report(settings, env, server, done, logs_ok, stopped=args.stop_airflow)
    if problems:
        _say(f"{len(problems)} source(s) not run: {', '.join(p.name for p in problems)}")
    return rc or int(bool(problems))


def _exchange(
    server: local.LocalAirflow, source_dags: list[str], publish: bool
) -> tuple[list[runs.Run], bool]:
    wanted = source_dags + (list(AFTER_SOURCES) if publish else [])
    loaded = wait_for_dags(server, wanted)
    for dag_id in sorted(set(wanted) - set(loaded)):
        _say(f"{dag_id}: not loaded (see the DAG import error above); not run")
    done = drive(server.api, loaded, publish)
    return done, check_logs(server.api, done)


def _report(
    settings: Settings,
    env: dict[str, str],
    server: local.LocalAirflow,
    done: list[runs.Run],
    logs_ok: bool,
    *,
    stopped: bool,
) -> int:
    from hub.reports import status

    print()
    print(status.render(status.collect(settings, None if stopped else server.api.base_url)))
    print()
    for run in done:
        _say(run.line())
    failed = [r.dag_id for r in done if r.state != "success"]
    _say(
        f"{len(done) - len(failed)} of {len(done)} DAG runs succeeded"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    _say(f"reports: {settings.var_dir / 'reports' / 'index.html'}")
    if stopped:
        home = env["AIRFLOW_HOME"]
        _say(f"Airflow stopped; `mhub airflow-ui` shows these runs (AIRFLOW_HOME={home})")
    else:
        _say(
            f"Airflow UI: {server.api.base_url} — these runs and their task logs; Airflow keeps "
            "running with the DAGs paused (`make airflow-stop` stops it)"
        )
    return 0 if not failed and logs_ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.demo", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except Exception as exc:  # one line for a person; --debug shows where
        if args.debug:
            traceback.print_exc()
        from hub.cli import describe

        _say(f"failed: {describe(exc)}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
