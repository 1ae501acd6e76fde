"""Broker faults: unreachable at start, stopped and restarted, SIGKILLed, a transaction timing out.

All but the first case run against a broker of the suite's own
(``private_broker``), never the shared one. Each ends with the independent
count against the simulators' ground truth; what the stage did meanwhile (it
rode the fault out, or failed with a clear error and the rerun completed) is
written to the reliability table as observed.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

from kafka import TopicPartition

from hub.config import Settings
from hub.intake.stage import run_source
from hub.kafka.clients import consumer
from hub.kafka.topics import topics_for
from hub.publish.stage import publish_partition
from hub.sources import load_sources
from infra.agencies.faults import FaultPlan
from tests.integration.faults.conftest import Hub, PrivateBroker
from tests.support.faultkit import (
    PROCESS_TIMEOUT_S,
    Offsets,
    check_exactly_once,
    hub_env,
    process_state,
    run,
    start,
    wait_for,
)
from tests.support.reliability import record_outcome

AREA = "broker"
# "Fails fast": the stages' reachability probe waits 10 s (CONNECT_TIMEOUT_MS); the
# rest is process start-up on a loaded 2-core machine.
FAIL_FAST_S = 20.0
# Reruns a stage gets after a broker fault before the case is a failure.
MAX_RERUNS = 3


def _summaries(settings: Settings) -> list[dict[str, object]]:
    runs = settings.var_dir / "runs"
    return [json.loads(p.read_text()) for p in sorted(runs.rglob("*.json"))]


def _rerun_until_done(args: list[str], env: dict[str, str]) -> list[int]:
    """Run a stage again until it succeeds (a scheduler's retries); the return codes."""
    codes: list[int] = []
    for _ in range(MAX_RERUNS):
        proc = run(args, env)
        codes.append(proc.returncode)
        if proc.returncode == 0:
            return codes
    raise AssertionError(f"stage {args} never succeeded: {codes}\n{proc.stderr[-3000:]}")


def _publish_all(hub: Hub) -> None:
    for p in range(hub.settings.intake_partitions):
        assert publish_partition(p, hub.settings).state == "success"


def _intake_all(hub: Hub) -> None:
    for source in load_sources(hub.sources):
        assert run_source(source, hub.settings).state == "success"


class TestUnreachableBroker:
    def test_stages_fail_fast_with_a_saved_summary(
        self, make_hub: Callable[..., Hub], tmp_path: Path
    ) -> None:
        hub = make_hub(interior=20)
        env = hub_env(hub.settings, hub.sources, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9")
        t0 = time.monotonic()
        procs = [
            start(["hub.intake.stage", "--source", "interior"], env, tmp_path / "s1.log"),
            start(["hub.publish.stage", "--partition", "0"], env, tmp_path / "s2.log"),
        ]
        codes = [p.wait(timeout=PROCESS_TIMEOUT_S) for p in procs]
        elapsed = time.monotonic() - t0
        assert all(c == 1 for c in codes), codes
        assert elapsed < FAIL_FAST_S, f"took {elapsed:.1f}s to give up"
        failed = {(s["kind"], s["state"]): str(s["error"]) for s in _summaries(hub.settings)}
        for kind in ("source", "publish"):
            error = failed.get((kind, "failed"), "")
            assert "reaching the cluster at 127.0.0.1:9" in error, failed
        record_outcome(
            AREA,
            "broker unreachable when a stage starts",
            f"both stages exit 1 in {elapsed:.1f} s; run summaries saved: '{error[:80]}'",
        )


class TestBrokerRestart:
    def test_broker_stopped_and_restarted_mid_run(
        self,
        make_hub: Callable[..., Hub],
        private_kafka: Settings,
        private_broker: PrivateBroker,
    ) -> None:
        hub = make_hub(interior=200, batch_size=10, broker=private_kafka)
        hub.sim.set_faults(FaultPlan(rates={"slow": 1.0}, slow_s=0.4, max_per_request=1))
        env = hub_env(hub.settings, hub.sources)
        args = ["hub.intake.stage", "--source", "interior"]
        offsets = Offsets(hub.settings)
        state_topic = topics_for(hub.settings).connector_state
        try:
            proc = start(args, env, hub.tmp / "stage1.log")
            wait_for(lambda: offsets.committed_end(state_topic) > 0, "the first page commit")
        finally:
            offsets.close()
        t0 = time.monotonic()
        private_broker.stop()
        assert proc.poll() is None, "the stage finished before the broker stopped"
        private_broker.start()
        down_s = time.monotonic() - t0
        first = proc.wait(timeout=PROCESS_TIMEOUT_S)
        codes = [first] if first == 0 else [first, *_rerun_until_done(args, env)]
        hub.sim.set_faults(None)
        _publish_all(hub)
        count, _ = check_exactly_once(hub.settings, hub.sim, hub.feeds)
        rode = "rode it out (exit 0)" if first == 0 else f"exit codes {codes}"
        record_outcome(
            AREA,
            "broker stopped and restarted while stage 1 commits pages",
            f"broker down {down_s:.0f} s; stage {rode}; {count}",
        )

    def test_broker_sigkilled_mid_transaction(
        self,
        make_hub: Callable[..., Hub],
        private_kafka: Settings,
        private_broker: PrivateBroker,
    ) -> None:
        hub = make_hub(interior=120, batch_size=20, broker=private_kafka)
        _intake_all(hub)
        args = ["hub.publish.stage", "--partition", "0"]
        env = hub_env(hub.settings, hub.sources)
        # Stage 2 stops itself inside its first transaction, everything sent, not committed.
        proc = start(
            args,
            hub_env(hub.settings, hub.sources, "stage2.before-commit:1:stop"),
            hub.tmp / "stage2.log",
        )
        wait_for(lambda: process_state(proc.pid) in ("T", "t", ""), "stage 2 to stall")
        assert process_state(proc.pid) in ("T", "t"), "stage 2 exited before its commit"
        private_broker.kill()
        private_broker.start()
        proc.send_signal(signal.SIGCONT)
        first = proc.wait(timeout=PROCESS_TIMEOUT_S)
        codes = [first] if first == 0 else [first, *_rerun_until_done(args, env)]
        assert _rerun_until_done(args, env) == [0]  # and nothing left behind
        assert publish_partition(1, hub.settings).state == "success"
        count, _ = check_exactly_once(hub.settings, hub.sim, hub.feeds)
        record_outcome(
            AREA,
            "broker SIGKILLed while stage 2 holds an open transaction (sent, not committed)",
            f"stage 2 resumed after the broker restart: exit codes {codes}; {count}",
        )


class TestTransactionTimeout:
    def test_stalled_stage_is_aborted_by_the_coordinator(
        self, make_hub: Callable[..., Hub], private_kafka: Settings
    ) -> None:
        timeout_ms = 3_000
        hub = make_hub(interior=120, batch_size=20, broker=private_kafka)
        settings, topics = hub.settings, topics_for(hub.settings)
        args = ["hub.intake.stage", "--source", "interior"]
        stalled_env = hub_env(
            settings,
            hub.sources,
            "stage1.before-commit:2:stop",
            HUB_TRANSACTION_TIMEOUT_MS=str(timeout_ms),
        )
        proc = start(args, stalled_env, hub.tmp / "stalled.log")
        wait_for(lambda: process_state(proc.pid) in ("T", "t", ""), "stage 1 to stall")
        assert process_state(proc.pid) in ("T", "t"), "stage 1 exited before its 2nd commit"
        # The open transaction holds the last stable offset back; the coordinator aborts
        # it after the timeout, and committed readers move on while the stage still stalls.
        stable, high = _stable_and_high(settings, topics.intake)
        assert stable < high, "the stalled transaction is not open"
        t0 = time.monotonic()
        wait_for(lambda: _stable_and_high(settings, topics.intake)[0] >= high, "the abort")
        aborted_after = time.monotonic() - t0
        assert process_state(proc.pid) in ("T", "t")
        proc.send_signal(signal.SIGCONT)
        code = proc.wait(timeout=PROCESS_TIMEOUT_S)
        assert code == 1, f"the stalled stage committed after its timeout (exit {code})"
        errors = [s["error"] for s in _summaries(settings) if s["state"] == "failed"]
        assert errors, "no failed run summary"
        assert _rerun_until_done(args, hub_env(settings, hub.sources)) == [0]
        _publish_all(hub)
        count, _ = check_exactly_once(settings, hub.sim, hub.feeds)
        record_outcome(
            "transaction timeout",
            f"stage 1 stalled (SIGSTOP) inside a transaction past transaction.timeout.ms "
            f"({timeout_ms} ms)",
            f"coordinator aborted it ({aborted_after:.1f} s after the stall was seen; readers "
            f"moved on); resumed stage failed: '{errors[-1][:90]}'; rerun: {count}",
        )


def _stable_and_high(settings: Settings, topic: str) -> tuple[int, int]:
    """(last stable offset, high watermark) summed over the topic's partitions."""
    stable = consumer(settings=settings)
    raw = consumer(settings=settings, isolation_level="read_uncommitted")
    try:
        tps = [TopicPartition(topic, p) for p in sorted(stable.partitions_for_topic(topic))]
        return sum(stable.end_offsets(tps).values()), sum(raw.end_offsets(tps).values())
    finally:
        stable.close()
        raw.close()



