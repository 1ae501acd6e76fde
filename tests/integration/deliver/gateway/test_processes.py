"""The gateway as real processes: ``mhub gateway feed`` killed (SIGKILL) around its SQLite
commit loses and duplicates nothing; ``mhub gateway serve`` serves, stops on SIGTERM with a
run summary, and a restarted process carries on from the same database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from hub.config import PROJECT_ROOT
from hub.deliver.gateway.config import load_config
from hub.kafka.topics import topics_for
from tests.support import events as ev
from tests.support.partner_client import PartnerClient

# A process that neither finishes nor crashes within this is stuck.
PROCESS_TIMEOUT_S = 60
# The gateway process queues its first message within this long (a guard, not a wait).
FEED_HANG_GUARD_S = 120.0


def _env(settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap,
        HUB_TOPIC_PREFIX=settings.topic_prefix,
        HUB_VAR_DIR=str(settings.var_dir),
        **extra,
    )
    return env


def _feed(toml: Path, settings, crash_at: str = "") -> int:
    extra = {"HUB_CRASH_AT": crash_at} if crash_at else {}
    proc = subprocess.run(
        [sys.executable, "-m", "hub.cli", "gateway", "feed", "--config", str(toml)],
        env=_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
    )
    assert proc.returncode in (0, -signal.SIGKILL), proc.stderr
    return proc.returncode


def _rows(db: Path) -> Counter:
    if not db.exists():
        return Counter()
    con = sqlite3.connect(db)
    try:
        return Counter(con.execute("SELECT partner, event_id FROM message").fetchall())
    finally:
        con.close()


def _publish(publish, settings, signer, people, crossings) -> Counter:
    t = topics_for(settings)
    expected: Counter = Counter()
    records = []
    for p in people:
        for n in crossings:
            e = ev.border_event(p, n)
            records.append((t.events("border"), p.person_id.encode(), signer.sign(e), []))
            if p.citizenship in ("KGZ", "UZB"):
                expected[(p.citizenship, ev.event_id(e))] += 1
    publish(records)
    return expected


class TestFeederCrash:
    def test_killed_before_or_after_the_commit_loses_and_duplicates_nothing(
        self, gateway_toml, hub_settings, hub_signer, publish
    ):
        db = load_config(gateway_toml).db
        expected = _publish(publish, hub_settings, hub_signer, ev.PEOPLE, (0, 1))

        assert _feed(gateway_toml, hub_settings, "gateway.before-enqueue:1") == -signal.SIGKILL
        assert _rows(db) == Counter(), "killed before the commit: nothing stored"
        assert _feed(gateway_toml, hub_settings) == 0
        assert _rows(db) == expected

        expected += _publish(publish, hub_settings, hub_signer, ev.PEOPLE, (2, 3))
        assert _feed(gateway_toml, hub_settings, "gateway.after-enqueue:1") == -signal.SIGKILL
        assert _feed(gateway_toml, hub_settings) == 0
        assert _rows(db) == expected, "killed after the commit: nothing fed twice"


class TestServeProcess:
    def _start(self, toml: Path, settings) -> tuple[subprocess.Popen, tuple[str, int]]:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub.cli",
                "gateway",
                "serve",
                "--config",
                str(toml),
                "--port",
                "0",
            ],
            env=_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = proc.stdout.readline()
        assert "gateway listening on https://" in line, line
        host, port = line.rsplit("https://", 1)[1].strip().rstrip("/").rsplit(":", 1)
        return proc, (host, int(port))

    def _stop(self, proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=PROCESS_TIMEOUT_S) == 0

    def test_serve_restart_and_run_summary(
        self, gateway_toml, hub_settings, hub_signer, publish, pki
    ):
        config = load_config(gateway_toml)
        expected = _publish(publish, hub_settings, hub_signer, ev.PEOPLE[:2], (0, 1))
        proc, address = self._start(gateway_toml, hub_settings)
        try:
            kgz = PartnerClient(address, pki.hub_ca, pki.client("KGZ"), pki.passphrase)
            # Wait on state: the feeder thread fills the queue once it has joined its
            # group and fetched; the deadline only guards against a hang.
            deadline = time.monotonic() + FEED_HANG_GUARD_S
            while (got := kgz.get()) is None:
                assert time.monotonic() < deadline, "the feeder never queued a message"
                time.sleep(0.25)
            kgz.verify(got)
            assert kgz.ack(got.get("messageId")) == "acknowledged"
        finally:
            self._stop(proc)
        summaries = sorted(config.runs_dir.glob("*.json"))
        doc = json.loads(summaries[-1].read_text())
        assert doc["state"] == "stopped" and doc["feed"]["queued"] == {"KGZ": 4}
        assert {q["partner"]: q["acknowledged"] for q in doc["queues"]} == {"KGZ": 1}
        # the file mhub status reads
        stats = json.loads((config.db.parent / "stats.json").read_text())["partners"]
        assert stats["KGZ"]["delivered"] == 1 and stats["KGZ"]["queued"] == 3

        proc, address = self._start(gateway_toml, hub_settings)  # a real process restart
        try:
            kgz = PartnerClient(address, pki.hub_ca, pki.client("KGZ"), pki.passphrase)
            seen = {got.get("eventId")}
            while (msg := kgz.get()) is not None:
                kgz.verify(msg)
                assert msg.get("eventId") not in seen
                seen.add(msg.get("eventId"))
                kgz.ack(msg.get("messageId"))
        finally:
            self._stop(proc)
        assert seen == {eid for (_p, eid) in expected}
