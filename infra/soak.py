"""Soak: the hub at a steady rate for minutes, faults injected at random, then the count.

    python -m infra.soak --minutes 10 [--rate 20] [--seed 1]

The agency simulators publish ``--rate`` interior records a second (and a
partner share); stage processes (``python -m hub.intake.stage`` per source,
``python -m hub.publish.stage`` per partition) run in loops, as a scheduler
would start them; at random moments a running stage is SIGKILLed from outside
or the agency starts answering with faults for a while. A ``read_committed``
tail measures the latency from "record published by the agency" to "event
committed". At the end the faults stop, the stages drain, and an independent
reader counts event ids against the generator's ground truth. The last line is

    RESULT lost=0 duplicated=0 p50_ms=... p99_ms=... split=0 merged=0

(split: facts under two event ids; merged: event ids carrying two facts.)

Not part of the test run (it takes minutes); uses the shared local broker under
a topic prefix of its own and a temporary var dir.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from hub.config import PROJECT_ROOT, load_settings
from hub.kafka.clients import consumer
from hub.kafka.topics import ensure_topics, topics_for
from hub.keys import open_pki
from hub.model.families import EVENT_FAMILIES
from infra.agencies.faults import FaultPlan
from infra.agencies.generator import Generator, GeneratorConfig, Rates
from infra.agencies.server import AgencySimulator
from infra.agencies.signing import partner_signer

EV = "{urn:kz:mhub:event:1}"
# Share of the interior rate the partner sends (its reports are mostly duplicates).
PARTNER_SHARE = 0.25
# Chance per second that a running stage process is SIGKILLed from outside.
KILL_CHANCE = 0.04
# Chance per second that the agency starts a bad spell, and how long one lasts.
FAULT_CHANCE = 0.02
FAULT_SPELL_S = 15.0
BAD_SPELL = FaultPlan(
    rates={"500": 0.2, "503": 0.1, "reset": 0.1, "truncated": 0.1, "slow": 0.1},
    max_per_request=2,
    retry_after_s=0,
    timeout_s=1.0,
    slow_s=0.3,
)
# Partner lease: a faulted Get's messages come back this soon.
LEASE_S = 5.0
# Progress line period.
PROGRESS_S = 10.0
# Draining after the run: rounds of every stage until nothing is left.
DRAIN_ROUNDS = 8
# Fact ids printed per kind of failure (enough to start a search, short enough to read).
EXAMPLES = 10
TRANSPORT = (
    'http_read_timeout_s = 2.0, http_max_attempts = 6, http_backoff_base_s = 0.05, '
    "http_backoff_max_s = 0.5"
)


class Soak:
    def __init__(self, minutes: float, rate: float, seed: int, faults: bool = True) -> None:
        self.minutes, self.rate, self.rng = minutes, rate, random.Random(seed)
        self.faults = faults  # False: the same run without kills or agency faults
        self.tmp = Path(tempfile.mkdtemp(prefix="mhub-soak-"))
        env = {
            "HUB_VAR_DIR": str(self.tmp / "var"),
            "HUB_TOPIC_PREFIX": f"soak.{uuid.uuid4().hex[:8]}.",
            "HUB_INTAKE_PARTITIONS": "2",
        }
        base = load_settings()
        if base.external_kafka:
            env["KAFKA_BOOTSTRAP_SERVERS"] = base.kafka_bootstrap
        self.settings = load_settings(env)
        self.topics = topics_for(self.settings)
        ensure_topics(self.topics.specs(), self.settings)
        gen = Generator(GeneratorConfig(seed=seed, population=50_000, rates=Rates(
            duplicate=0.3, identity_split=0.2, correction=0.03, invalid=0.03)))
        self.sim = AgencySimulator(
            gen, counts={"interior": 0, "partner:UZB": 0},
            signer=partner_signer(open_pki(self.settings)), lease_s=LEASE_S,
        ).start()
        self.sources = self.tmp / "sources.toml"
        self.sources.write_text(
            f'[defaults]\nowner = "ops@example.kz"\nbatch_size = 50\n\n'
            f'[[source]]\nname = "interior"\nfamily = "interior"\n'
            f'endpoint = "{self.sim.url}/interior"\noptions = {{ {TRANSPORT} }}\n\n'
            f'[[source]]\nname = "partner-uzb"\nfamily = "partner"\n'
            f'endpoint = "{self.sim.url}/partner/UZB"\n'
            f'options = {{ state = "UZB", {TRANSPORT} }}\n'
        )
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        self.env.update(env, HUB_SOURCES_FILE=str(self.sources), PYTHONPATH=str(PROJECT_ROOT))
        self.published_at: dict[str, float] = {}  # record id -> when the agency published it
        self.latency_ms: list[float] = []
        self.seen: set[tuple[str, str]] = set()  # (event id, version) measured
        self.kills = Counter[str]()
        self.spells = 0
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()

    # --- the agency ------------------------------------------------------------------

    def publish(self, feed: str, n: int) -> None:
        start = self.sim.state.count(feed)
        now = time.monotonic()
        for i in range(start, start + n):
            self.published_at[self.sim.generator.ground_truth(feed, i).record_id] = now
        self.sim.grow(feed, n)

    # --- the stages, as a scheduler runs them ------------------------------------------

    def stage_loop(self, name: str, args: list[str]) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        while not self.stop.is_set():
            proc = subprocess.Popen([sys.executable, "-m", *args], env=self.env, cwd=PROJECT_ROOT,
                                    stdout=log, stderr=subprocess.STDOUT)
            with self.lock:
                self.running[name] = proc
            proc.wait()
            with self.lock:
                self.running.pop(name, None)
            self.stop.wait(0.5)

    def chaos(self) -> None:
        """Once a second: maybe SIGKILL a running stage, maybe start a bad spell."""
        spell_ends = 0.0
        while not self.stop.wait(1.0):
            if not self.faults:
                continue
            if self.rng.random() < KILL_CHANCE * max(1, len(self.running)):
                with self.lock:
                    victims = list(self.running.items())
                if victims:
                    name, proc = self.rng.choice(victims)
                    if proc.poll() is None:
                        proc.send_signal(signal.SIGKILL)
                        self.kills[name] += 1
            now = time.monotonic()
            if spell_ends and now > spell_ends:
                self.sim.set_faults(None)
                spell_ends = 0.0
            elif not spell_ends and self.rng.random() < FAULT_CHANCE:
                self.sim.set_faults(BAD_SPELL)
                self.spells += 1
                spell_ends = now + FAULT_SPELL_S

    # --- the measurement -------------------------------------------------------------

    def tail(self) -> None:
        names = [self.topics.events(f) for f in EVENT_FAMILIES]
        cons = consumer(*names, settings=self.settings, group_id=None)
        seen = self.seen  # a later tail re-reads from the start: count each event once
        while not self.stop.is_set():
            for batch in cons.poll(timeout_ms=500).values():
                now = time.monotonic()
                for msg in batch:
                    ev = etree.fromstring(msg.value)
                    key = (ev.findtext(f"{EV}EventId") or "",
                           ev.findtext(f"{EV}EventVersion") or "")
                    rid = ev.findtext(f".//{EV}SourceRecordId") or ""
                    if key not in seen and rid in self.published_at:
                        seen.add(key)
                        self.latency_ms.append((now - self.published_at[rid]) * 1000)
        cons.close()

    def run(self) -> int:
        threads = [threading.Thread(target=self.tail, daemon=True),
                   threading.Thread(target=self.chaos, daemon=True)]
        stages = {
            "stage1-interior": ["hub.intake.stage", "--source", "interior"],
            "stage1-partner": ["hub.intake.stage", "--source", "partner-uzb"],
            **{f"stage2-p{p}": ["hub.publish.stage", "--partition", str(p)] for p in (0, 1)},
        }
        threads += [threading.Thread(target=self.stage_loop, args=(n, a), daemon=True)
                    for n, a in stages.items()]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        end = t0 + self.minutes * 60
        next_progress = t0 + PROGRESS_S
        carry = 0.0
        while time.monotonic() < end:
            carry += self.rate
            n = int(carry)
            carry -= n
            self.publish("interior", n)
            if self.rng.random() < PARTNER_SHARE * self.rate - int(PARTNER_SHARE * self.rate):
                self.publish("partner:UZB", 1)
            self.publish("partner:UZB", int(PARTNER_SHARE * self.rate))
            if time.monotonic() >= next_progress:
                self.progress(t0)
                next_progress += PROGRESS_S
            time.sleep(1.0)
        self.stop.set()
        for proc in list(self.running.values()):
            proc.wait()
        self.sim.set_faults(None)
        return self.finish(stages)

    def progress(self, t0: float) -> None:
        served = sum(self.sim.state.count(f) for f in ("interior", "partner:UZB"))
        lat = sorted(self.latency_ms)
        p50 = lat[len(lat) // 2] if lat else 0.0
        print(f"[{time.monotonic() - t0:5.0f}s] served {served} records, {len(lat)} events seen, "
              f"p50 {p50:.0f} ms, kills {dict(self.kills)}, fault spells {self.spells}", flush=True)

    def finish(self, stages: dict[str, list[str]]) -> int:
        """Drain with no faults, then the independent count."""
        self.stop.clear()
        tail = threading.Thread(target=self.tail, daemon=True)
        tail.start()
        for _ in range(DRAIN_ROUNDS):
            for args in stages.values():
                subprocess.run([sys.executable, "-m", *args], env=self.env, cwd=PROJECT_ROOT,
                               capture_output=True, check=False)
            depth = self.sim.state.snapshot()["queues"].get("partner:UZB", {}).get("depth", 0)
            if depth == 0:
                break
            time.sleep(LEASE_S)
        time.sleep(2.0)  # let the tail see the last commits
        self.stop.set()
        tail.join()
        from tests.support.exchange import read_all
        from tests.support.faultkit import expected_facts

        out = read_all(self.settings)
        facts = expected_facts(self.sim, ["interior", "partner:UZB"])
        duplicated = sum(1 for n in out.event_versions.values() if n > 1)
        fact = self._fact_of()
        count = count_facts(
            facts,
            [(ev.findtext(f"{EV}EventId") or "", fact.get(ev.findtext(f".//{EV}SourceRecordId")
                                                          or "", "?"))
             for _k, ev, _h in out.events],
            [(str(c.get("event_id")), fact.get(str(c.get("record_id")), "?"))
             for c in out.corroborations],
        )
        lat = sorted(self.latency_ms)

        def pct(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")

        print(f"served {len(facts)} facts, {len(out.event_ids)} event ids, "
              f"{len(out.events)} event messages, kills {dict(self.kills)}, "
              f"fault spells {self.spells}")
        print(f"latency ms: p50 {pct(0.5):.0f} p90 {pct(0.9):.0f} p99 {pct(0.99):.0f} "
              f"max {lat[-1] if lat else 0:.0f} over {len(lat)} events")
        for what, items in count.examples.items():
            if items:
                print(f"{what}: {', '.join(items[:EXAMPLES])}")
        print(f"RESULT lost={count.lost} duplicated={duplicated} p50_ms={pct(0.5):.0f} "
              f"p99_ms={pct(0.99):.0f} split={count.split} merged={count.merged}")
        self.sim.stop()
        return 0 if count.ok and duplicated == 0 else 1

    def _fact_of(self) -> dict[str, str]:
        """Record id -> fact id of everything served, from the generator's ground truth."""
        by_record = {}
        for feed in ("interior", "partner:UZB"):
            for i in range(self.sim.state.count(feed)):
                t = self.sim.generator.ground_truth(feed, i)
                by_record[t.record_id] = t.fact_id
        return by_record


@dataclass(frozen=True)
class FactCount:
    """Published event ids against the generator's facts, each failure counted apart."""

    lost: int  # facts served that no event carries
    split: int  # facts published under two or more event ids (identity splits)
    merged: int  # event ids carrying two or more facts (each hides a lost fact)
    examples: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        return self.lost == self.split == self.merged == 0


def count_facts(
    facts: set[str], events: list[tuple[str, str]], corroborations: list[tuple[str, str]] = ()
) -> FactCount:
    """``events`` and ``corroborations``: (event id, fact id) of every message read.

    Counted fact by fact, not as "event ids minus facts": that difference nets a lost
    fact against a split one (a run with one lost and five split facts said split=4).
    A fact whose reports all became corroborations of another fact's event is lost,
    and that event id is merged.
    """
    ids_of: dict[str, set[str]] = defaultdict(set)
    facts_of: dict[str, set[str]] = defaultdict(set)
    for event_id, fact in events:
        ids_of[fact].add(event_id)
        facts_of[event_id].add(fact)
    for event_id, fact in corroborations:
        facts_of[event_id].add(fact)
    lost = sorted(facts - set(ids_of))
    split = sorted(f for f, ids in ids_of.items() if len(ids) > 1)
    merged = sorted(e for e, fs in facts_of.items() if len(fs) > 1)
    return FactCount(len(lost), len(split), len(merged),
                     {"lost": lost, "split": split, "merged": merged})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="interior records per second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-faults", action="store_true", help="the same run, no faults")
    args = parser.parse_args(argv)
    return Soak(args.minutes, args.rate, args.seed, faults=not args.no_faults).run()


if __name__ == "__main__":
    sys.exit(main())
