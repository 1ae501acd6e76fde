"""Tools of the fault suite: stage processes, waiting on broker state, the ground-truth count.

Every fault case ends the same way: an independent ``read_committed`` reader
(:func:`tests.support.exchange.read_all`, to the end offsets) counts event ids
and versions on the output topics and compares them with what the simulators
served, from the generator's ground truth (:func:`check_exactly_once`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka import TopicPartition

from hub.config import PROJECT_ROOT, Settings
from hub.kafka.clients import consumer
from tests.support.exchange import Published, read_all

# A stage process of the fault suite handles a few hundred records: two minutes
# means it hangs (the CI machine has 2 shared cores).
PROCESS_TIMEOUT_S = 180.0
# Waiting for broker-visible state (a commit, an abort by the coordinator).
STATE_TIMEOUT_S = 90.0
STATE_POLL_S = 0.1


def hub_env(
    settings: Settings, sources_file: Path, crash: str | None = None, **extra: str
) -> dict[str, str]:
    """The environment of a stage process of this isolated hub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "KAFKA_"))}
    env.update(
        HUB_VAR_DIR=str(settings.var_dir),
        HUB_TOPIC_PREFIX=settings.topic_prefix,
        HUB_INTAKE_PARTITIONS=str(settings.intake_partitions),
        HUB_SOURCES_FILE=str(sources_file),
        KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap,
        PYTHONPATH=str(PROJECT_ROOT),
    )
    if crash:
        env["HUB_CRASH_AT"] = crash
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
    )


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``python -m ARGS`` in the background, its output in ``log``."""
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def killed(returncode: int | None) -> bool:
    return returncode == -signal.SIGKILL


def wait_for(cond: Callable[[], bool], what: str, timeout_s: float = STATE_TIMEOUT_S) -> float:
    """Poll ``cond`` until it holds; return the seconds it took."""
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout_s:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(STATE_POLL_S)
    return time.monotonic() - t0


def process_state(pid: int) -> str:
    """The kernel's one-letter state of a process (R, S, T stopped, Z, ...); '' if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def freeze_and_kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop a stage where it is (an arbitrary moment), prove it was still running, kill it."""
    proc.send_signal(signal.SIGSTOP)
    wait_for(lambda: process_state(proc.pid) in ("T", "t", "Z", ""), "the process to stop")
    assert process_state(proc.pid) in ("T", "t"), "the stage had already exited: nothing killed"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


class Offsets:
    """End offsets of topics as a ``read_committed`` reader sees them (last stable offsets)."""

    def __init__(self, settings: Settings) -> None:
        self._cons = consumer(settings=settings)

    def committed_end(self, topic: str, partition: int | None = None) -> int:
        """Sum of the partitions' last stable offsets: grows with every commit."""
        parts = sorted(self._cons.partitions_for_topic(topic) or [])
        tps = [TopicPartition(topic, p) for p in parts if partition in (None, p)]
        return sum(self._cons.end_offsets(tps).values()) if tps else 0

    def close(self) -> None:
        self._cons.close()


def expected_facts(sim: Any, feeds: list[str]) -> set[str]:
    """Facts the simulators served on ``feeds`` that must each be exactly one event."""
    facts: set[str] = set()
    for feed in feeds:
        for i in range(sim.state.count(feed)):
            t = sim.generator.ground_truth(feed, i)
            if t.outcome not in ("invalid", "hostile"):
                facts.add(t.fact_id)
    return facts


@dataclass(frozen=True)
class Count:
    """The independent count: what was published against what was served."""

    served_facts: int
    event_ids: int
    duplicated_versions: int
    lost: int

    def __str__(self) -> str:
        return (
            f"{self.served_facts} facts served, {self.event_ids} event ids, "
            f"{self.duplicated_versions} duplicated, {self.lost} lost"
        )


def check_exactly_once(settings: Settings, sim: Any, feeds: list[str]) -> tuple[Count, Published]:
    """Assert every fact served is published once and nothing twice; return the count."""
    out = read_all(settings)
    duplicated = [k for k, n in out.event_versions.items() if n > 1]
    facts = expected_facts(sim, feeds)
    count = Count(
        served_facts=len(facts),
        event_ids=len(out.event_ids),
        duplicated_versions=len(duplicated),
        lost=max(0, len(facts) - len(out.event_ids)),
    )
    assert duplicated == [], f"{len(duplicated)} event versions published twice: {count}"
    # One fact reported by two sources is one event: ids match facts one to one.
    assert len(out.event_ids) == len(facts), str(count)
    reports = [
        (c["event_id"], c["source"], c["record_id"], c["version"]) for c in out.corroborations
    ]
    assert len(set(reports)) == len(reports), "a corroboration was published twice"
    return count, out


def sources_toml(path: Path, entries: list[dict[str, Any]], batch_size: int = 40) -> Path:
    """A sources file for this hub: ``entries`` are [[source]] tables (flat values)."""

    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, str):
            return f'"{v}"'
        return str(v).lower() if isinstance(v, bool) else str(v)

    lines = ["[defaults]", 'owner = "ops@example.kz"', f"batch_size = {batch_size}", ""]
    for entry in entries:
        lines.append("[[source]]")
        lines += [f"{k} = {value(v)}" for k, v in entry.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


#: Agency transport for fault runs: real retries, short waits (the plans stall 2 s).
FAST_HTTP = {
    "http_connect_timeout_s": 2.0,
    "http_read_timeout_s": 1.0,
    "http_max_attempts": 6,
    "http_backoff_base_s": 0.02,
    "http_backoff_max_s": 0.2,
}
