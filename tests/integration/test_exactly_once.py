"""Zero lost, zero duplicated events across crashes: real processes, real SIGKILL.

Stage 1 and stage 2 run as ``python -m hub.intake.stage`` / ``python -m hub.publish.stage``
processes. ``HUB_CRASH_AT`` kills a process with SIGKILL at an exact point
(before the commit, in the middle of the transaction, after the commit); one
more process is killed from outside at an arbitrary moment. After restarts, an
independent consumer counts event ids on every event topic.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.config import PROJECT_ROOT, Settings
from hub.kafka.topics import topics_for
from hub.keys import open_pki
from infra.agencies.generator import Rates
from infra.agencies.signing import partner_signer
from tests.support.exchange import isolated_settings, read_all
from tests.support.faultkit import Offsets, freeze_and_kill, hub_env, killed, run, wait_for

INTERIOR = 300
PARTNER = 80


def _kill_midway(
    args: list[str], env: dict[str, str], settings: Settings, topic: str, partition: int | None
) -> None:
    """Start a stage process; once its first commit shows on ``topic``, SIGKILL it from
    outside, proving it was still running (stopped first, then killed)."""
    offsets = Offsets(settings)
    try:
        before = offsets.committed_end(topic, partition)
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: offsets.committed_end(topic, partition) > before, f"{args}'s commit")
    finally:
        offsets.close()
    freeze_and_kill(proc)


@pytest.fixture
def exchange(
    tmp_path: Path,
    kafka_settings: Settings,
    unique_name: Callable[[str], str],
    make_simulator: Callable[..., Any],
) -> tuple[Settings, Path, Any]:
    settings = isolated_settings(tmp_path, kafka_settings, unique_name, partitions=2)
    pki = open_pki(settings)
    sim = make_simulator(
        seed=11,
        rates=Rates(duplicate=0.5, identity_split=0.5, correction=0.04, invalid=0.03),
        counts={"interior": INTERIOR, "partner:UZB": PARTNER},
        signer=partner_signer(pki),
        lease_s=0.5,
    )
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f"""
[defaults]
owner = "ops@example.kz"
batch_size = 10

[[source]]
name = "interior"
family = "interior"
endpoint = "{sim.url}/interior"

[[source]]
name = "partner-uzb"
family = "partner"
endpoint = "{sim.url}/partner/UZB"
options = {{ state = "UZB" }}
"""
    )
    return settings, sources, sim


def _expected_facts(sim: Any) -> set[str]:
    facts: set[str] = set()
    for feed, n in (("interior", INTERIOR), ("partner:UZB", PARTNER)):
        for i in range(n):
            t = sim.generator.ground_truth(feed, i)
            if t.outcome not in ("invalid", "hostile"):
                facts.add(t.fact_id)
    return facts


class TestCrashes:
    def test_sigkill_at_every_commit_point_loses_and_duplicates_nothing(
        self, exchange: tuple[Settings, Path, Any]
    ) -> None:
        settings, sources, sim = exchange
        # Stage 1: killed before its 2nd commit, then after its next commit (before the
        # source Ack), then runs to the end; the partner source likewise.
        for crash in ("stage1.before-commit:2", "stage1.after-commit:1", None):
            for name in ("interior", "partner-uzb"):
                env = hub_env(settings, sources, crash)
                proc = run(["hub.intake.stage", "--source", name], env)
                if crash:
                    assert killed(proc.returncode), proc.stderr[-2000:]
                else:
                    assert proc.returncode == 0, proc.stderr[-2000:]
        # Stage 2, per partition: killed inside the transaction, before and after the commit.
        for p in range(settings.intake_partitions):
            for crash in (
                "stage2.after-begin:1",
                "stage2.before-commit:1",
                "stage2.after-commit:1",
                None,
            ):
                proc = run(
                    ["hub.publish.stage", "--partition", str(p)], hub_env(settings, sources, crash)
                )
                if crash:
                    assert killed(proc.returncode), proc.stderr[-2000:]
                else:
                    assert proc.returncode == 0, proc.stderr[-2000:]
        self._assert_exactly_once(settings, sim)

    def test_kill_from_outside_at_an_arbitrary_moment(
        self, exchange: tuple[Settings, Path, Any]
    ) -> None:
        settings, sources, sim = exchange
        env = hub_env(settings, sources)
        topics = topics_for(settings)
        for name in ("interior", "partner-uzb"):
            args = ["hub.intake.stage", "--source", name]
            _kill_midway(args, env, settings, topics.connector_state, None)
            assert run(args, env).returncode == 0
        for p in range(settings.intake_partitions):
            args = ["hub.publish.stage", "--partition", str(p)]
            _kill_midway(args, env, settings, topics.dedup_index, p)
            assert run(args, env).returncode == 0
        self._assert_exactly_once(settings, sim)

    @staticmethod
    def _assert_exactly_once(settings: Settings, sim: Any) -> None:
        out = read_all(settings)
        versions = out.event_versions
        duplicated = [k for k, n in versions.items() if n > 1]
        assert duplicated == [], f"{len(duplicated)} event versions published twice"
        facts = _expected_facts(sim)
        # Two sources, one fact: the partner's report of an interior crossing is one event.
        assert len(out.event_ids) == len(facts), (len(out.event_ids), len(facts))
        assert len(out.corroborations) > 0
        reports = [
            (c["event_id"], c["source"], c["record_id"], c["version"]) for c in out.corroborations
        ]
        assert len(set(reports)) == len(reports), "a corroboration was published twice"
