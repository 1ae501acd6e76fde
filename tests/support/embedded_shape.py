"""The embedded default the production shape is compared with: ``airflow standalone``
(SQLite metadata, LocalExecutor), the person registry on SQLite, one Kafka broker (the
shared development broker, this session's topic prefix) - what ``make run`` starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.airflow.api import AirflowApi
from hub.airflow.local import airflow_executable, migrate_airflow_db
from hub.config import Settings, load_settings
from hub.kafka.topics import ensure_topics, topics_for
from infra.airflow import local
from infra.demo import demo_airflow_env
from tests.support.kafka_cluster import free_ports
from tests.support.names import topic_prefix


@dataclass
class EmbeddedShape:
    base: Path
    pki: Path
    key_passphrase: str
    broker: Settings
    server: local.LocalAirflow | None = None

    def __post_init__(self) -> None:
        self.var_dir = self.base / "var"
        self.hub_env = {
            "HUB_VAR_DIR": str(self.var_dir),
            "HUB_TOPIC_PREFIX": topic_prefix("embedded"),
            "HUB_KEY_PASSPHRASE": self.key_passphrase,
            "HUB_SOURCES_FILE": str(self.base / "sources.toml"),
        }
        if self.broker.external_kafka:
            self.hub_env["KAFKA_BOOTSTRAP_SERVERS"] = self.broker.kafka_bootstrap
        self.var_dir.mkdir(parents=True)
        (self.var_dir / "pki").symlink_to(self.pki, target_is_directory=True)

    @property
    def api(self) -> AirflowApi:
        assert self.server is not None, "start() first"
        return self.server.api

    def settings(self) -> Settings:
        return load_settings(self.hub_env)

    def start(self, sources_toml: str, dag_ids: list[str]) -> EmbeddedShape:
        (self.base / "sources.toml").write_text(sources_toml, encoding="utf-8")
        settings = self.settings()
        ensure_topics(topics_for(settings).specs(), settings)
        (port,) = free_ports(1)
        env = {**demo_airflow_env(settings, port, self.base / "sources.toml"), **self.hub_env}
        # Never a database of the caller's environment (an operator may point it elsewhere).
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (
            f"sqlite:///{Path(env['AIRFLOW_HOME']) / 'airflow.db'}")
        since = datetime.now(UTC)
        migrate_airflow_db(env)
        self.server = local.start(env, airflow_executable())
        loaded = local.wait_ready(self.server, dag_ids, since)
        if loaded != dag_ids:
            raise RuntimeError(f"DAGs not loaded: {sorted(set(dag_ids) - set(loaded))}")
        return self

    def stop(self) -> None:
        if self.server is not None:
            local.stop(self.server.home)
