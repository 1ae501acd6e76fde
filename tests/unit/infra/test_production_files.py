"""The production files agree with each other and with the hub: each task queue (the
Kafka user a task runs as) has one compose worker holding that user's credentials and
ACLs of its own; only workers carry Kafka security settings; every variable of the
compose file is one the runbook lists for the env file."""

from __future__ import annotations

import re

import yaml

from hub.airflow import dag_defaults
from hub.config import PROJECT_ROOT

PRODUCTION = PROJECT_ROOT / "infra" / "production"
QUEUES = {dag_defaults.STAGE1_QUEUE, dag_defaults.STAGE2_QUEUE, dag_defaults.REPORTS_QUEUE,
          dag_defaults.FEED_QUEUE}


def _services() -> dict:
    return yaml.safe_load((PRODUCTION / "airflow" / "docker-compose.yaml").read_text())["services"]


def _queues(command: list[str]) -> set[str]:
    if "--queues" not in command:
        return set()
    return set(command[command.index("--queues") + 1].split(","))


class TestWorkersPerKafkaUser:
    def test_each_queue_has_one_worker_holding_that_user(self) -> None:
        workers = {n: s for n, s in _services().items()
                   if s.get("command", [])[:2] == ["celery", "worker"]}
        served = {q: n for n, s in workers.items() for q in _queues(s["command"])}
        assert set(served) == QUEUES, "a queue with no worker runs nothing"
        assert len(served) == len(workers), "a worker serves one queue: one user"
        for queue, name in served.items():
            assert workers[name]["environment"]["KAFKA_SASL_USERNAME"] == queue

    def test_every_queue_is_a_scram_user_with_acls(self) -> None:
        acls = (PRODUCTION / "kafka" / "acls.sh").read_text()
        scram = (PRODUCTION / "kafka" / "scram-setup.sh").read_text()
        for queue in QUEUES:
            assert f"User:{queue} " in acls, queue
            assert re.search(rf"\bfor user in [^;]*\b{queue}\b", scram), queue

    def test_only_workers_carry_kafka_security(self) -> None:
        for name, service in _services().items():
            env = service.get("environment") or {}
            has_user = "KAFKA_SASL_USERNAME" in env
            assert has_user == ("KAFKA_SECURITY_PROTOCOL" in env), name


class TestEnvFile:
    def test_every_compose_variable_is_in_the_runbook(self) -> None:
        text = (PRODUCTION / "airflow" / "docker-compose.yaml").read_text()
        runbook = (PRODUCTION / "README.md").read_text()
        required = set(re.findall(r"\$\{([A-Z0-9_]+)\}", text))
        per_worker = {v for v in required if re.fullmatch(r"KAFKA_[A-Z0-9]+_PASSWORD", v)}
        for variable in sorted(required - per_worker):
            assert f"`{variable}`" in runbook, variable
        assert per_worker and "`KAFKA_<USER>_PASSWORD`" in runbook
