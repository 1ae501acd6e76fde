"""Fixtures of the fault suite: an isolated hub over the simulators, a broker of its own.

``make_hub`` gives a hub with its own var dir and topic prefix, agency
simulators serving an interior feed and a partner queue, and a sources file
pointing at them. ``private_broker`` is a single Apache Kafka broker started
for this suite only (own data dir, own ports, the same start code as the
shared one), which the broker-fault cases stop, restart and SIGKILL: the
shared broker at 127.0.0.1:19092 is never touched.
"""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.config import Settings
from hub.keys import open_pki
from infra.agencies.generator import Rates
from infra.agencies.signing import partner_signer
from tests.support.exchange import isolated_settings
from tests.support.faultkit import FAST_HTTP, process_state, sources_toml, wait_for
from tests.support.kafka_cluster import free_ports

# Aborted transactions past their timeout are swept this often on the private broker
# (default 10 s): a transaction-timeout case then waits seconds, not tens of seconds.
ABORT_SWEEP_MS = 500
PRIVATE_BROKER_EXTRA = f"""
transaction.abort.timed.out.transaction.cleanup.interval.ms={ABORT_SWEEP_MS}
transaction.max.timeout.ms=900000
"""
DEFAULT_RATES = Rates(duplicate=0.4, identity_split=0.3, correction=0.04, invalid=0.03)


@dataclass
class Hub:
    settings: Settings
    sim: Any
    sources: Path
    tmp: Path
    feeds: list[str]


@pytest.fixture
def make_hub(
    tmp_path: Path,
    kafka_settings: Settings,
    unique_name: Callable[[str], str],
    make_simulator: Callable[..., Any],
) -> Callable[..., Hub]:
    def make(
        *,
        interior: int = 120,
        partner: int = 0,
        batch_size: int = 40,
        broker: Settings | None = None,
        seed: int = 11,
        signer: Any = None,
        interior_options: dict[str, Any] | None = None,
        **sim_options: Any,
    ) -> Hub:
        base = broker or kafka_settings
        settings = isolated_settings(tmp_path, base, unique_name, partitions=2)
        counts = {"interior": interior}
        feeds = ["interior"]
        if partner:
            counts["partner:UZB"] = partner
            feeds.append("partner:UZB")
        sim = make_simulator(
            seed=seed,
            rates=DEFAULT_RATES,
            counts=counts,
            signer=signer or partner_signer(open_pki(settings)),
            **sim_options,
        )
        entries: list[dict[str, Any]] = [
            {
                "name": "interior",
                "family": "interior",
                "endpoint": f"{sim.url}/interior",
                "options": {**FAST_HTTP, **(interior_options or {})},
            }
        ]
        if partner:
            entries.append(
                {
                    "name": "partner-uzb",
                    "family": "partner",
                    "endpoint": f"{sim.url}/partner/UZB",
                    "options": {"state": "UZB", **FAST_HTTP},
                }
            )
        sources = sources_toml(tmp_path / "sources.toml", entries, batch_size)
        return Hub(settings, sim, sources, tmp_path, feeds)

    return make


@dataclass
class PrivateBroker:
    """A broker only this suite uses: stop, start and kill it at will."""

    settings: Settings
    port: int
    controller_port: int

    @property
    def pid(self) -> int:
        from infra.kafka import broker

        return int(broker._pid_file(self.settings).read_text())

    def start(self) -> None:
        from infra.kafka import broker

        broker.start(
            self.settings,
            port=self.port,
            controller_port=self.controller_port,
            extra_properties=PRIVATE_BROKER_EXTRA,
        )

    def stop(self) -> None:
        """Graceful stop (SIGTERM), waited on by reaping: the broker is this process's child,
        so ``infra.kafka.broker.stop``'s liveness probe would see its zombie for 30 s."""
        self._signal_and_reap(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, as a machine losing power would (no clean-shutdown marker)."""
        self._signal_and_reap(signal.SIGKILL)

    def _signal_and_reap(self, sig: signal.Signals) -> None:
        from infra.kafka import broker

        pid = self.pid
        os.kill(pid, sig)

        def gone() -> bool:
            try:
                return os.waitpid(pid, os.WNOHANG)[0] == pid
            except ChildProcessError:  # not our child: wait for it to vanish
                return process_state(pid) in ("", "Z")

        wait_for(gone, f"the broker to exit after signal {sig.name}")
        broker._pid_file(self.settings).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def private_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    port, cport = free_ports(2)  # bound together: never the same port twice
    settings = dataclasses.replace(
        Settings(),
        var_dir=tmp_path_factory.mktemp("private-kafka"),
        kafka_bootstrap=f"127.0.0.1:{port}",
        external_kafka=False,
    )
    pb = PrivateBroker(settings, port, cport)
    pb.start()
    yield pb
    pb.kill()  # its data is thrown away with the temporary directory


@pytest.fixture
def private_kafka(private_broker: PrivateBroker) -> Settings:
    """Settings whose clients use the private broker (as an external cluster)."""
    from infra.kafka import broker

    if not broker.answers("127.0.0.1", private_broker.port):
        private_broker.start()  # a previous case left it down
    return dataclasses.replace(private_broker.settings, external_kafka=True)
