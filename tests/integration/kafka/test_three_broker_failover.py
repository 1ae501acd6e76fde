"""Three brokers (replication 3, min.insync.replicas=2, the production files), the hub's
two stages as real processes, and the leader of an intake partition SIGKILLed while
stage 1 runs: no fact lost, none duplicated, counted by an independent read_committed
reader against the simulator's ground truth."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kafka import TopicPartition

from hub.config import PROJECT_ROOT
from hub.kafka.clients import admin, consumer
from hub.kafka.topics import ensure_topics, topics_for
from infra.agencies.faults import FaultPlan
from infra.agencies.generator import Rates
from tests.support.exchange import read_all
from tests.support.kafka_cluster import SecureCluster
from tests.support.reliability import record_outcome

PREFIX = "mhub.fo."
INTERIOR = 400
PARTITIONS = 2
# Each page is served slowly so that stage 1 is still running when the broker dies.
SLOW_PAGE_S = 0.4
PROCESS_TIMEOUT_S = 120
# An operator (Airflow) retries a failed stage; exactly-once must hold across retries.
MAX_ATTEMPTS = 3
# Waiting for stage 1's first committed page (state, not time: this only bounds it).
FIRST_COMMIT_WAIT_S = 60.0


def _env(cluster: SecureCluster, user: str, var: Path, sources: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "KAFKA_"))}
    env.update(cluster.env(user), HUB_VAR_DIR=str(var), HUB_TOPIC_PREFIX=PREFIX,
               HUB_INTAKE_PARTITIONS=str(PARTITIONS), HUB_REPLICATION_FACTOR="3",
               HUB_SOURCES_FILE=str(sources), PYTHONPATH=str(PROJECT_ROOT))
    return env


def _stage(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", *args], env=env, cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _until_success(args: list[str], env: dict[str, str], first: subprocess.Popen[str]) -> int:
    """Wait for the run; rerun it while it fails. Returns the number of attempts."""
    proc, attempts = first, 1
    while True:
        out, _ = proc.communicate(timeout=PROCESS_TIMEOUT_S)
        if proc.returncode == 0:
            return attempts
        assert attempts < MAX_ATTEMPTS, out[-3000:]
        proc, attempts = _stage(args, env), attempts + 1


def _committed_intake(settings: Any, topic: str) -> int:
    cons = consumer(settings=settings)
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return sum(cons.end_offsets(tps).values())
    finally:
        cons.close()


def _leader(settings: Any, topic: str, partition: int) -> int:
    client = admin(settings)
    try:
        (desc,) = client.describe_topics([topic])
    finally:
        client.close()
    return next(p["leader_id"] for p in desc["partitions"] if p["partition_index"] == partition)


def test_partition_leader_sigkilled_mid_run(
    secure_cluster: SecureCluster, tmp_path: Path, make_simulator: Any
) -> None:
    cluster = secure_cluster
    cluster.provision(PREFIX)
    var = tmp_path / "var"
    admin_settings = cluster.settings("admin", HUB_VAR_DIR=str(var), HUB_TOPIC_PREFIX=PREFIX,
                                      HUB_INTAKE_PARTITIONS=str(PARTITIONS),
                                      HUB_REPLICATION_FACTOR="3")
    topics = topics_for(admin_settings)
    ensure_topics(topics.specs(), admin_settings)
    sim = make_simulator(seed=17, counts={"interior": INTERIOR},
                         rates=Rates(duplicate=0.3, identity_split=0.3, invalid=0.03))
    sim.state.faults.set_plan(FaultPlan(rates={"slow": 1.0}, slow_s=SLOW_PAGE_S,
                                        max_per_request=1))
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "interior"\nfamily = "interior"\n'
                       f'owner = "ops@example.kz"\nbatch_size = 25\n'
                       f'endpoint = "{sim.url}/interior"\n')

    started = time.monotonic()
    stage1 = ["hub.intake.stage", "--source", "interior"]
    env1 = _env(cluster, "mhub-stage1", var, sources)
    run = _stage(stage1, env1)
    deadline = time.monotonic() + FIRST_COMMIT_WAIT_S
    while _committed_intake(admin_settings, topics.intake) == 0:
        assert run.poll() is None and time.monotonic() < deadline, "stage 1 never committed"
        time.sleep(0.2)
    victim = _leader(admin_settings, topics.intake, 0)
    assert run.poll() is None, "stage 1 finished before the kill: make the run longer"
    cluster.kill(victim)
    attempts1 = _until_success(stage1, env1, run)

    env2 = _env(cluster, "mhub-stage2", var, sources)
    attempts2 = 0
    for p in range(PARTITIONS):
        args = ["hub.publish.stage", "--partition", str(p)]
        attempts2 += _until_success(args, env2, _stage(args, env2))
    assert _leader(admin_settings, topics.intake, 0) != victim

    out = read_all(admin_settings)
    duplicated = [k for k, n in out.event_versions.items() if n > 1]
    facts = {t.fact_id for i in range(INTERIOR)
             if (t := sim.generator.ground_truth("interior", i)).outcome
             not in ("invalid", "hostile")}
    assert duplicated == []
    assert len(out.event_ids) == len(facts) > 0
    record_outcome(
        "kafka cluster (3 brokers, RF 3, min ISR 2)",
        "leader of intake partition 0 SIGKILLed while stage 1 runs (SASL_SSL, ACLs)",
        f"0 lost, 0 duplicated: {len(out.event_ids)} events = {len(facts)} facts; "
        f"stage 1 attempts {attempts1}, stage 2 attempts {attempts2} for {PARTITIONS} "
        f"partitions; {time.monotonic() - started:.0f} s",
    )
