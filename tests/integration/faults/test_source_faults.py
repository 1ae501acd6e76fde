"""Faults on the agencies' side and on the hub's disk, through the staged production path.

Each case runs the Airflow tasks' own functions (``extract`` stages the pages,
``intake`` commits them, ``publish`` per partition) in this process against
the simulators with a fault plan, and ends with the independent count against
the simulators' ground truth.
"""

from __future__ import annotations

import errno
import re
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.intake import stage as stage1
from hub.keys import open_pki
from hub.publish.stage import publish_partition
from hub.sources import load_sources
from infra.agencies.faults import FaultPlan
from infra.agencies.signing import partner_signer
from tests.integration.faults.conftest import Hub
from tests.support.faultkit import check_exactly_once, wait_for
from tests.support.reliability import record_outcome

AREA = "agency"
# Every transport fault the simulators know, each likely on a first attempt; a
# request is faulted at most twice, so a client that retries always gets through.
BAD_DAY = FaultPlan(
    rates={
        "500": 0.15,
        "503": 0.1,
        "429": 0.05,
        "timeout": 0.05,
        "reset": 0.1,
        "truncated": 0.15,
        "slow": 0.15,
    },
    max_per_request=2,
    retry_after_s=0,
    timeout_s=1.5,
    slow_s=0.3,
    seed=5,
)
# Partner lease in these cases: longer than one extract, short enough to wait out.
LEASE_S = 2.0
# Runs a drained feed may need: a faulted Get leaves its messages leased until then.
MAX_ROUNDS = 6
# The staging tmpfs: smaller than one run's pages (about 3 KB a record, base64).
TINY_DISK = "32k"


def _run_staged(hub: Hub, run_id: str) -> dict[str, int]:
    """extract -> intake for every source, then publish every partition; records per source."""
    pulled: dict[str, int] = {}
    for source in load_sources(hub.sources):
        ref = stage1.extract(source, run_id, hub.settings)
        summary = stage1.intake(ref, hub.settings, source=source)
        assert summary.state == "success", summary.error
        pulled[source.name] = summary.pulled
    for p in range(hub.settings.intake_partitions):
        assert publish_partition(p, hub.settings).state == "success"
    return pulled


def _leases_expired(hub: Hub) -> bool:
    """Every partner message fetched and not acknowledged can be fetched again."""
    now = time.monotonic()
    return all(
        exp <= now for q in hub.sim.state.queues.values() for exp in list(q.leases.values())
    )


def _drain(hub: Hub, run_id: str) -> int:
    """Scheduled runs until every feed is drained (as the hourly DAG would); the rounds."""
    for n in range(1, MAX_ROUNDS + 1):
        _run_staged(hub, f"{run_id}-{n}")
        queues = hub.sim.state.snapshot()["queues"]
        if all(q["depth"] == 0 for q in queues.values()):
            return n
        wait_for(lambda: _leases_expired(hub), "the partner's leases to expire")
    raise AssertionError(f"partner queues not drained after {MAX_ROUNDS} runs: {queues}")


class TestAgencyTransportFaults:
    def test_500s_timeouts_resets_truncated_and_slow_responses(
        self, make_hub: Callable[..., Hub]
    ) -> None:
        hub = make_hub(interior=150, partner=60, batch_size=15, lease_s=LEASE_S)
        hub.sim.set_faults(BAD_DAY)
        rounds = _drain(hub, "bad-day")
        injected = dict(hub.sim.state.faults.injected)
        assert sum(injected.values()) >= 10, injected
        count, _ = check_exactly_once(hub.settings, hub.sim, hub.feeds)
        record_outcome(
            AREA,
            "500/503/429, timeouts, resets, truncated and slow responses (each request "
            "faulted up to twice)",
            f"connectors retried through {sum(injected.values())} injected faults "
            f"{sorted(injected.items())}; partner messages leased by a faulted Get came "
            f"back on a later run ({rounds} runs to drain); {count}",
        )

    def test_agency_down_then_back(self, make_hub: Callable[..., Hub]) -> None:
        hub = make_hub(interior=80, batch_size=20)
        hub.sim.set_faults(FaultPlan(rates={"503": 1.0}, max_per_request=10**6, retry_after_s=0))
        source = load_sources(hub.sources)[0]
        with pytest.raises(Exception) as err:
            stage1.extract(source, "down", hub.settings)
        message = f"{type(err.value).__name__}: {err.value}"
        assert "503" in message, message
        hub.sim.set_faults(None)
        _run_staged(hub, "back")
        count, _ = check_exactly_once(hub.settings, hub.sim, hub.feeds)
        record_outcome(
            AREA,
            "agency down (every request 503)",
            f"extract fails after its retries: '{message[:100]}'; next run: {count}",
        )


class TestPartnerRedelivery:
    def test_unacknowledged_messages_delivered_again(self, make_hub: Callable[..., Hub]) -> None:
        hub = make_hub(interior=0, partner=60, batch_size=15, lease_s=LEASE_S)
        source = {s.name: s for s in load_sources(hub.sources)}["partner-uzb"]
        # Run 1 extracts, then its intake fails: nothing is acknowledged to the partner.
        late = stage1.extract(source, "run-1", hub.settings)
        wait_for(lambda: _leases_expired(hub), "the partner's leases to expire")
        # Run 2 gets the same messages again, commits and acknowledges them.
        _run_staged(hub, "run-2")
        # Run 1's intake is retried late: the same records again, acknowledged twice.
        assert stage1.intake(late, hub.settings, source=source).state == "success"
        for p in range(hub.settings.intake_partitions):
            assert publish_partition(p, hub.settings).state == "success"
        queue = hub.sim.state.snapshot()["queues"]["partner:UZB"]
        assert queue["redelivered"] >= 60, queue
        assert queue["depth"] == 0, queue
        count, _ = check_exactly_once(hub.settings, hub.sim, ["partner:UZB"])
        record_outcome(
            "partner",
            "partner re-delivers messages not acknowledged within its lease; the first "
            "run's intake retried after the second run",
            f"{queue['redelivered']} re-deliveries and the late retry became replays; {count}",
        )


class TestPartnerClockSkew:
    @pytest.mark.parametrize(("ahead", "accepted"), [(timedelta(minutes=2), True),
                                                     (timedelta(hours=3), False)])
    def test_partner_clock_ahead(
        self, make_hub: Callable[..., Hub], tmp_path: Path, ahead: timedelta, accepted: bool
    ) -> None:
        signers: list[Callable[[str, bytes], bytes]] = []

        def skewed(state: str, document: bytes) -> bytes:
            """The partner's gateway stamps updatedAt with its own clock, then signs."""
            when = (datetime.now(UTC) + ahead).strftime("%Y-%m-%dT%H:%M:%SZ")
            stamped = re.sub(rb'updatedAt="[^"]*"', f'updatedAt="{when}"'.encode(), document)
            return signers[0](state, stamped)

        hub = make_hub(interior=0, partner=60, batch_size=20, signer=skewed)
        signers.append(partner_signer(open_pki(hub.settings)))
        pulled = _run_staged(hub, "skew")
        if accepted:
            count, _ = check_exactly_once(hub.settings, hub.sim, ["partner:UZB"])
            outcome = f"within the 5 min tolerance: accepted; {count}"
        else:
            out_events = check_future(hub)
            assert out_events == pulled["partner-uzb"], (out_events, pulled)
            outcome = (
                f"all {out_events} records quarantined (date.updated-in-future) in the DLQ, "
                "none published, none lost"
            )
        record_outcome("partner", f"partner clock {ahead} ahead", outcome)


def check_future(hub: Hub) -> int:
    """Nothing published; every record in the DLQ as updated in the future; their count."""
    from tests.support.exchange import read_all

    out = read_all(hub.settings)
    assert not out.events, f"{len(out.events)} events published from a future-dated feed"
    rules = {f["rule"] for d in out.dlq for f in d["findings"]}
    assert "date.updated-in-future" in rules, rules
    return len({d["record_id"] for d in out.dlq})


class TestStagingDiskFull:
    def test_extract_fails_cleanly_and_the_retry_completes(
        self, make_hub: Callable[..., Hub]
    ) -> None:
        hub = make_hub(interior=120, batch_size=40)
        staging = hub.settings.var_dir / "staging"
        staging.mkdir(parents=True, exist_ok=True)
        mount = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={TINY_DISK}", "tmpfs", str(staging)],
            capture_output=True,
            text=True,
        )
        if mount.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {mount.stderr.strip()}")
        source = load_sources(hub.sources)[0]
        try:
            with pytest.raises(OSError) as err:
                stage1.extract(source, "full", hub.settings)
            assert err.value.errno == errno.ENOSPC, err.value
            left = sorted(p.name for p in staging.rglob("*") if p.is_file())
            assert left == [], f"a failed extract left {left} on the full disk"
        finally:
            subprocess.run(["umount", str(staging)], check=True)
        _run_staged(hub, "after-full")
        count, _ = check_exactly_once(hub.settings, hub.sim, hub.feeds)
        record_outcome(
            "hub disk",
            f"staging disk full ({TINY_DISK} tmpfs) during extract",
            f"extract fails with ENOSPC, leaves no partial file, nothing committed; "
            f"retry with space: {count}",
        )
