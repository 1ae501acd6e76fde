"""The production shape on one machine, started from the production files themselves.

``infra/production/airflow/docker-compose.yaml`` is the source of truth: this harness
reads its services (commands and environments) and runs each as a process here, with
what Docker would have provided put in by :meth:`ProductionShape.render`: the service
host names (``postgres``, ``redis``, ``airflow-apiserver``) become loopback ports,
the mounted paths (``/etc/mhub``, ``/var/lib/mhub``) directories of this run, and each
``${VARIABLE}`` of the compose file a value of the env file a deployment keeps. The
backing services are real: PostgreSQL (Debian's server; the registry's role and
database made by the compose file's own ``postgres-init.sh``), Redis (Debian's), and
the three-broker Kafka cluster of ``infra/production/kafka`` (TLS, SASL/SCRAM, ACLs:
:class:`tests.support.kafka_cluster.SecureCluster`).

What a container has of its own and one host cannot share is set per process and
set by :meth:`ProductionShape.per_host` (its own listening ports), and what only makes a test
fit two cores in :data:`TEST_TUNING`: nothing else of the compose file is replaced.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hub.airflow.api import AirflowApi, AirflowApiError
from hub.airflow.environment import DAGS_FOLDER
from hub.config import PROJECT_ROOT, Settings, load_settings
from tests.support.kafka_cluster import SecureCluster, free_ports
from tests.support.postgres import PostgresServer
from tests.support.redis_server import RedisServer

AIRFLOW_FILES = PROJECT_ROOT / "infra" / "production" / "airflow"
COMPOSE = AIRFLOW_FILES / "docker-compose.yaml"
POSTGRES_INIT = AIRFLOW_FILES / "postgres-init.sh"
# The compose file's Airflow services run here, in this order; its one-shot init first.
INIT_SERVICE = "airflow-init"
CORE_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-triggerer")
# The two workers of the exchange: source tasks as Kafka user mhub-stage1, publish tasks
# as mhub-stage2. The reports and feed workers are not started (their DAGs are not run).
WORKERS = ("airflow-worker-stage1", "airflow-worker-stage2")
# Only to fit the test on two cores: one api-server process instead of four; no
# scheduled runs (the test triggers every run itself, in a fixed order, as make run does).
TEST_TUNING = {
    "AIRFLOW__API__WORKERS": "1",
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
}
# `airflow db migrate` on an empty PostgreSQL database: ~30 s, minutes on a busy machine.
MIGRATE_TIMEOUT_S = 600
# The api-server answers and the dag-processor has parsed the hub's DAGs (over 90 s seen
# on a loaded 2-core machine for the DAG files alone): a guard against a hang, not a wait.
READY_TIMEOUT_S = 420
# A Celery worker has said "ready" (its pool forked): seconds on two cores.
WORKER_READY_TIMEOUT_S = 180
# SIGTERM stops an Airflow component within seconds (a worker waits for its tasks).
STOP_TIMEOUT_S = 30
POLL_S = 1.0
_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)(?::-([^}]*))?\}")


def compose_services() -> dict[str, Any]:
    """The compose file's services, YAML anchors and merge keys resolved."""
    return yaml.safe_load(COMPOSE.read_text())["services"]


def substitute(value: str, values: Mapping[str, str]) -> str:
    """``${VAR}`` and ``${VAR:-default}`` as compose reads them from its env file; a
    variable without a value or default is an error naming it."""

    def one(m: re.Match[str]) -> str:
        if m[1] in values:
            return values[m[1]]
        if m[2] is not None:
            return m[2]
        raise KeyError(f"{COMPOSE.name}: ${{{m[1]}}} has no value in the env file")

    return _VARIABLE.sub(one, value)


def _secret(size: int = 24) -> str:
    return base64.urlsafe_b64encode(os.urandom(size)).decode().rstrip("=")


@dataclass
class Component:
    """One compose service running as a process group of its own."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class ProductionShape:
    """PostgreSQL, Redis, three Kafka brokers and Airflow's services, under ``base``."""

    base: Path
    pki: Path
    key_passphrase: str
    components: list[Component] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.pg_port, self.redis_port, self.api_port, self.trigger_log_port,
         *self.worker_log_ports) = free_ports(4 + len(WORKERS))
        self.etc_mhub = self.base / "etc" / "mhub"
        self.var_dir = self.base / "var"
        self.airflow_home = self.base / "airflow"
        self.logs = self.base / "logs"
        self.values = {
            "POSTGRES_PASSWORD": _secret(),
            "REDIS_PASSWORD": _secret(),
            "AIRFLOW_BASE_URL": f"http://127.0.0.1:{self.api_port}",
            # HS512 wants a key of at least 64 bytes (RFC 7518, 3.2).
            "AIRFLOW_JWT_SECRET": _secret(48),
            "AIRFLOW_FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "AIRFLOW_API_SECRET_KEY": _secret(),
            "HUB_KEY_PASSPHRASE": self.key_passphrase,
            "HUB_REGISTRY_PASSWORD": _secret(),
        }
        self.postgres = PostgresServer(port=self.pg_port, password=_secret())
        self.redis = RedisServer(self.redis_port, self.values["REDIS_PASSWORD"],
                                 self.base / "redis")
        self.cluster = SecureCluster(self.base / "kafka", size=3)
        self.api = AirflowApi(self.values["AIRFLOW_BASE_URL"])
        # The shared volume of the compose file, with the PKI the other shape uses too.
        self.var_dir.mkdir(parents=True)
        (self.var_dir / "pki").symlink_to(self.pki, target_is_directory=True)

    # --- rendering the compose file -------------------------------------------------

    def render(self, value: str) -> str:
        """A compose value with this host's addresses and paths in place of Docker's."""
        value = substitute(value, self.values)
        for service, address in (("@postgres/", f"@127.0.0.1:{self.pg_port}/"),
                                 ("@redis:6379/", f"@127.0.0.1:{self.redis_port}/"),
                                 ("//airflow-apiserver:8080/", f"//127.0.0.1:{self.api_port}/")):
            value = value.replace(service, address)
        return (value.replace("/etc/mhub/", f"{self.etc_mhub}/")
                .replace("/var/lib/mhub", str(self.var_dir)))

    def service_env(self, name: str) -> dict[str, str]:
        """The process environment of compose service ``name`` on this host."""
        service = compose_services()[name]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("HUB_", "KAFKA_", "AIRFLOW"))}
        env.update({k: self.render(str(v)) for k, v in service["environment"].items()})
        env.update(self.per_host(name))
        env.update(TEST_TUNING)
        return env

    def per_host(self, name: str) -> dict[str, str]:
        """What each container has of its own (PER_HOST): the image's AIRFLOW_HOME and DAG
        folder, the api-server's published port, each log server's port."""
        env = {
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.trigger_log_port),
            # The image has airflow on PATH; here it is this interpreter's.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        }
        if name in WORKERS:
            port = self.worker_log_ports[WORKERS.index(name)]
            env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(port)
        return env

    def command(self, name: str) -> list[str]:
        return ["airflow", *(self.render(str(a)) for a in compose_services()[name]["command"])]

    # --- life cycle -----------------------------------------------------------------

    def start(self, sources_toml: str, dag_ids: list[str]) -> ProductionShape:
        """The backing services, the topics and ACLs, then Airflow; returns when
        ``dag_ids`` are parsed and both workers are ready."""
        self.logs.mkdir(parents=True)
        self._start_postgres()
        self.redis.start()
        self.cluster.start()
        self.cluster.provision(self.settings("admin").topic_prefix)
        self._deploy_files(sources_toml)
        self._create_topics()
        self._run_once(INIT_SERVICE)
        for name in (*CORE_SERVICES, *WORKERS):
            self.components.append(self._spawn(name))
        self._wait_ready(set(dag_ids))
        return self

    def _start_postgres(self) -> None:
        """The server, then what the postgres image does on a first start: the
        POSTGRES_USER/POSTGRES_DB of the compose file, then its init script."""
        self.postgres.start()
        env = compose_services()["postgres"]["environment"]
        user, db = env["POSTGRES_USER"], env["POSTGRES_DB"]
        self.postgres.create_database(db, owner=user, password=self.values["POSTGRES_PASSWORD"])
        done = subprocess.run(
            ["bash", str(POSTGRES_INIT)], capture_output=True, text=True,
            env={**os.environ, "PGHOST": str(self.postgres.socket_dir),
                 "PGPORT": str(self.pg_port), "PGUSER": "hub",
                 "POSTGRES_USER": "hub", "POSTGRES_DB": "postgres",
                 "HUB_REGISTRY_PASSWORD": self.values["HUB_REGISTRY_PASSWORD"]})
        if done.returncode != 0:
            raise RuntimeError(f"{POSTGRES_INIT.name} failed:\n{done.stdout}\n{done.stderr}")

    def _deploy_files(self, sources_toml: str) -> None:
        """The mounted files (sources.toml, the cluster's CA) and the env file's Kafka
        values (bootstrap servers, each worker user's password)."""
        (self.etc_mhub / "tls").mkdir(parents=True)
        (self.etc_mhub / "sources.toml").write_text(sources_toml, encoding="utf-8")
        shutil.copy(self.cluster.etc_kafka / "tls" / "ca.pem", self.etc_mhub / "tls" / "ca.pem")
        self.values["KAFKA_BOOTSTRAP_SERVERS"] = self.cluster.bootstrap
        for user in ("stage1", "stage2", "reports", "feed"):
            self.values[f"KAFKA_{user.upper()}_PASSWORD"] = self.cluster.passwords[f"mhub-{user}"]

    def _create_topics(self) -> None:
        """README step 3: `mhub kafka topics` once, as the admin, with the compose file's
        replication factor."""
        env = {**self.service_env(INIT_SERVICE), **self.cluster.env("admin")}
        done = subprocess.run([sys.executable, "-m", "hub", "kafka", "topics"], env=env,
                              cwd=PROJECT_ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"mhub kafka topics failed:\n{done.stdout}\n{done.stderr}")

    def _run_once(self, name: str) -> None:
        done = subprocess.run(self.command(name), env=self.service_env(name),
                              capture_output=True, text=True, timeout=MIGRATE_TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"{name} ({' '.join(self.command(name))}) failed:\n"
                               f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")

    def _spawn(self, name: str) -> Component:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(self.command(name), env=self.service_env(name),
                                    stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        return Component(name, proc, log)

    def _wait_ready(self, dag_ids: set[str]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._parsed(dag_ids):
            self._check_alive()
            errors = self.api.import_errors() if self.api.token else []
            if errors or time.monotonic() > deadline:
                raise RuntimeError(f"Airflow did not parse {sorted(dag_ids)} in "
                                   f"{READY_TIMEOUT_S}s; import errors {errors}\n{self.tails()}")
            time.sleep(POLL_S)
        deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
        while not all("ready." in self.log_of(w) for w in WORKERS):
            self._check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"Celery workers not ready\n{self.tails()}")
            time.sleep(POLL_S)

    def _parsed(self, dag_ids: set[str]) -> bool:
        """Healthy, logged in, and the dag-processor has parsed ``dag_ids``."""
        if not self.api.is_up():
            return False
        try:
            self.login()
            return dag_ids <= {d["dag_id"] for d in self.api.dags("mhub")}
        except (AirflowApiError, OSError, ValueError):
            return False

    def login(self) -> None:
        """A token of the compose file's auth manager (Airflow's simple one: the admin
        user and the password the api-server generated into AIRFLOW_HOME)."""
        if self.api.token:
            return
        import json

        import httpx

        passwords = self.airflow_home / "simple_auth_manager_passwords.json.generated"
        user, password = next(iter(json.loads(passwords.read_text()).items()))
        reply = httpx.post(f"{self.api.base_url}/auth/token",
                           json={"username": user, "password": password}, timeout=10)
        reply.raise_for_status()
        self.api = AirflowApi(self.api.base_url, token=reply.json()["access_token"])

    def _check_alive(self) -> None:
        for c in self.components:
            if c.process.poll() is not None:
                raise RuntimeError(f"{c.name} exited ({c.process.returncode})\n{self.tails()}")

    def log_of(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def tails(self, lines: int = 25) -> str:
        return "\n".join(f"--- {c.name}\n" + "\n".join(self.log_of(c.name).splitlines()[-lines:])
                         for c in self.components)

    def settings(self, user: str = "admin") -> Settings:
        """The hub's settings as ``user`` on this shape (the compose file's HUB_*)."""
        env = self.service_env(INIT_SERVICE)
        hub = {k: v for k, v in env.items() if k.startswith("HUB_")}
        return load_settings({**hub, **self.cluster.env(user)})

    def stop(self) -> None:
        for c in reversed(self.components):
            _stop_group(c.process)
        self.cluster.stop()
        self.redis.stop()
        self.postgres.stop()


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
