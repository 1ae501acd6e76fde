"""Airflow for the DAG tests: a throw-away AIRFLOW_HOME and hub state per session.

Airflow reads its configuration once, when first imported, so the environment is
set here, at collection time, before any test imports airflow. The hub's state
(var dir, topic prefix) is unique per session, so runs never meet another
session's data on the shared broker.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hub.airflow.environment import DAGS_FOLDER, airflow_env
from hub.airflow.local import airflow_executable
from hub.config import Settings, load_settings
from hub.sources import SourceConfig, load_sources
from infra.demo import sources_toml
from tests.support.backfill import (
    BACKFILL_EPOCH,
    BACKFILL_RECORDS,
    BACKFILL_SOURCE,
    BACKFILL_STEP_S,
)
from tests.support.names import topic_prefix

SESSION_DIR = Path(tempfile.mkdtemp(prefix="mhub-dags-"))
AIRFLOW_HOME = SESSION_DIR / "airflow"
VAR_DIR = SESSION_DIR / "var"
SOURCES_FILE = SESSION_DIR / "sources.toml"
TOPIC_PREFIX = topic_prefix("dags")
# Two partitions keep the publish DAG's mapped fan-out visible and its run short.
INTAKE_PARTITIONS = 2
BROKEN_SOURCE = "interior_broken"

_env = airflow_env(Settings(var_dir=VAR_DIR), home=AIRFLOW_HOME)
_env.update(
    {
        # Never the developer's database, whatever their environment says.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
    }
)
# The hub's own settings for the DAG tests' tasks. They are applied per module of
# this folder only (fixture ``hub_env``), so other test folders keep their settings.
HUB_ENV = {
    "HUB_VAR_DIR": str(VAR_DIR),
    "HUB_TOPIC_PREFIX": TOPIC_PREFIX,
    "HUB_INTAKE_PARTITIONS": str(INTAKE_PARTITIONS),
    "HUB_SOURCES_FILE": str(SOURCES_FILE),
}
# Airflow's variables are only read by Airflow: set them before anything imports it.
os.environ.update({k: v for k, v in _env.items() if not k.startswith("HUB_")})


@contextlib.contextmanager
def hub_environment() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in HUB_ENV}
    os.environ.update(HUB_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module", autouse=True)
def hub_env(kafka_settings: Settings) -> Iterator[None]:
    """HUB_* for this folder's modules; ``kafka_settings`` is built before, untouched."""
    with hub_environment():
        yield


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_sources(path: Path, sources: list[SourceConfig]) -> None:
    path.write_text(sources_toml(sources), encoding="utf-8")


@pytest.fixture
def write_sources() -> Any:
    """Write a sources configuration (a list of SourceConfig) as TOML."""
    return _write_sources


@pytest.fixture
def broken_source(test_sources) -> SourceConfig:
    return next(s for s in test_sources if s.name == BROKEN_SOURCE)


@pytest.fixture(scope="session")
def hub_settings(kafka_settings: Settings) -> Settings:
    """Settings of the tasks: this session's var dir and topic prefix on the real broker."""
    from hub.kafka.topics import ensure_topics, topics_for

    settings = load_settings({**os.environ, **HUB_ENV})
    assert settings.var_dir == VAR_DIR and settings.topic_prefix == TOPIC_PREFIX
    ensure_topics(topics_for(settings).specs(), settings)
    return settings


@pytest.fixture(scope="session")
def agencies(hub_settings: Settings) -> Iterator[Any]:
    """The agency simulators, all families, on an ephemeral port, signing as partners."""
    from infra.demo import start_agencies

    sim = start_agencies(hub_settings, port=0)
    yield sim
    sim.stop()


@pytest.fixture(scope="session")
def backfill_agency() -> Iterator[Any]:
    """An interior simulator with dated records for the backfill test (its own timeline)."""
    from datetime import datetime

    from infra.agencies.generator import Generator, GeneratorConfig
    from infra.agencies.server import AgencySimulator

    epoch = datetime.fromisoformat(BACKFILL_EPOCH.replace("Z", "+00:00"))
    gen = Generator(GeneratorConfig(seed=17, epoch=epoch, step_s=BACKFILL_STEP_S))
    sim = AgencySimulator(gen, counts={"interior": BACKFILL_RECORDS}).start()
    yield sim
    sim.stop()


@pytest.fixture
def backfill_source(test_sources) -> SourceConfig:
    return next(s for s in test_sources if s.name == BACKFILL_SOURCE)


@pytest.fixture(scope="session")
def test_sources(webhook_receiver, agencies, backfill_agency) -> list[SourceConfig]:
    """The project's sources on the simulators (failing fast), one on a closed port and
    one on the backfill test's own simulator."""
    with hub_environment():  # a relative drop_dir resolves under this session's var dir
        configured = load_sources(Path(__file__).resolve().parents[3] / "sources.toml")
    sources = [
        replace(
            s,
            endpoint=s.endpoint.replace("http://127.0.0.1:18700", agencies.url),
            retries=0,
            retry_delay_s=1,
            timeout_s=300,
            notify=webhook_receiver.url,
        )
        for s in configured
    ]
    backfill = SourceConfig(
        name=BACKFILL_SOURCE,
        family="interior",
        endpoint=f"{backfill_agency.url}/interior",
        owner="test owner <owner@example.kz>",
        schedule="@daily",
        batch_size=50,  # several pages per day: the window's end must hold across tokens
        retries=2,
        retry_delay_s=1,
        timeout_s=300,
        notify=webhook_receiver.url,
    )
    sources.insert(0, backfill)
    sources.append(
        SourceConfig(
            name=BROKEN_SOURCE,
            family="interior",
            endpoint=f"http://127.0.0.1:{closed_port()}/interior",
            owner="test owner <owner@example.kz>",
            schedule="@daily",
            retries=1,
            retry_delay_s=1,
            timeout_s=120,
            notify=webhook_receiver.url,
            # The connector's own retries would only slow the test: Airflow's retry is under test.
            options={"http_max_attempts": 2, "http_backoff_base_s": 0.05},
        )
    )
    _write_sources(SOURCES_FILE, sources)
    return sources


@pytest.fixture(scope="session")
def airflow_db(test_sources) -> Path:
    """``airflow db migrate`` once per session (about 2-5 s on SQLite)."""
    AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [airflow_executable(), "db", "migrate"],
        env={**os.environ, **_env, **HUB_ENV},
        check=True,
        capture_output=True,
        timeout=300,
    )
    return AIRFLOW_HOME


@pytest.fixture(scope="session")
def dagbag(test_sources) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    with hub_environment():  # session fixtures are set up before the module's hub_env
        return DagBag(dag_folder=str(DAGS_FOLDER))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(SESSION_DIR, ignore_errors=True)


@pytest.fixture
def summaries() -> Iterator[Any]:
    from hub.reports.operations import load_summaries

    yield lambda: load_summaries(VAR_DIR / "runs")
