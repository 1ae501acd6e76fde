"""Restart safety: the statistics consumer and the bureau feed SIGKILLed mid-run.

Real processes (``python -m hub.statistics.consumer``, ``python -m
hub.deliver.bureau_feed``) on the real broker, killed with SIGKILL at named
boundaries (``HUB_CRASH_AT``, ``hub.kafka.faults``): after a fact is stored but
before its offset is committed; with a feed transaction open; right after a
feed transaction committed. Restarted, they finish: the figures equal the
generated year's targets and each event is in the store once; the feed holds
every person-level event once per (event, version).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from hub.config import Settings
from hub.deliver.bureau_feed import FEED_FAMILIES
from hub.statistics.consumer import store_path
from hub.statistics.definitions import FAMILIES
from hub.statistics.figures import compute
from hub.statistics.periods import parse_period
from hub.statistics.reference import region_names
from hub.statistics.store import FactStore
from infra.agencies.year import Targets
from infra.year import publish_year
from tests.support.exchange import isolated_settings
from tests.support.statistics import EV, events, hub_env, read_feed

# A process drains a few hundred events in seconds; this only bounds a hang.
PROCESS_TIMEOUT_S = 180
TARGETS = {
    "year": 2006,
    "arrivals": 120,
    "departures": 50,
    "balance_by_group": {"CIS": 50, "non_CIS": 20},
    "internal_balance_by_region": {"Astana": 30, "Zhambyl Region": -20},
}


def _run(module: str, settings: Settings, *args: str, crash_at: str = "") -> int:
    extra = {"HUB_CRASH_AT": crash_at} if crash_at else {}
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        env=hub_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
    )
    if done.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"{module} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.returncode


def _stored(settings: Settings) -> int:
    with FactStore(store_path(settings)) as store:
        return store.count()


class TestRestartAfterSigkill:
    def test_figures_exact_and_feed_without_duplicates(
        self, tmp_path: Path, kafka_settings: Settings, unique_name: Callable[[str], str]
    ) -> None:
        settings = isolated_settings(tmp_path, kafka_settings, unique_name)
        targets = Targets.from_mapping(TARGETS)
        publish_year(targets, settings)
        self._statistics(settings, targets)
        self._feed(settings)

    def _statistics(self, settings: Settings, targets: Targets) -> None:
        module = "hub.statistics.consumer"
        total = self._distinct(settings)
        assert total > 100
        # Killed after its 30th fact is stored, before any offset commit of the run ...
        assert _run(module, settings, crash_at="statistics.after-apply:30") == -signal.SIGKILL
        assert _stored(settings) == 30
        # ... restarted and killed again half-way through the rest, then run to the end.
        later = f"statistics.after-apply:{(total - 30) // 2}"
        assert _run(module, settings, crash_at=later) == -signal.SIGKILL
        assert 30 < _stored(settings) < total
        assert _run(module, settings) == 0
        # Each event once: one row per distinct event id of the families, no more.
        assert _stored(settings) == total
        with FactStore(store_path(settings)) as store:
            got = compute(store, parse_period("2006")).targets_shape()
        assert (got["arrivals"], got["departures"]) == (120, 50)
        assert got["balance_by_group"] == {"CIS": 50, "non_CIS": 20}
        names = region_names()
        want = {names[p]: b for p, b in targets.internal_balance_by_region.items()}
        assert got["internal_balance_by_region"] == want

    @staticmethod
    def _distinct(settings: Settings) -> int:
        return len({e.findtext(f"{EV}EventId") for e in events(settings, FAMILIES)})

    def _feed(self, settings: Settings) -> None:
        module = "hub.deliver.bureau_feed"
        # Killed right after its 2nd transaction committed (facts and offsets together) ...
        assert _run(module, settings, "--batch", "40", crash_at="bureau-feed.after-commit:2") < 0
        first = read_feed(settings)
        assert 0 < len(first) <= 80
        # ... then with its 2nd transaction open (the restart fences and aborts it) ...
        assert _run(module, settings, "--batch", "40", crash_at="bureau-feed.before-commit:2") < 0
        assert len(read_feed(settings)) <= len(first) + 40
        # ... then to the end.
        assert _run(module, settings) == 0
        facts = read_feed(settings)
        pairs = Counter((f["event_id"], f["version"]) for f in facts)
        assert not [p for p, n in pairs.items() if n > 1], "duplicate (event, version) in the feed"
        person_events = {
            (e.findtext(f"{EV}EventId"), int(e.findtext(f"{EV}EventVersion") or 1))
            for e in events(settings, FEED_FAMILIES)
            if e.findtext(f"{EV}Person/{EV}PersonId")
        }
        assert set(pairs) == person_events  # none lost either
