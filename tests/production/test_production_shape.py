"""The exchange on the production shape, run for real, against the embedded default.

Production shape: Airflow from ``infra/production/airflow/docker-compose.yaml`` (PostgreSQL
metadata, CeleryExecutor on Redis, api-server, scheduler, dag-processor, triggerer) with
two Celery workers, one per Kafka user: source tasks as ``mhub-stage1``, publish tasks as
``mhub-stage2``; the person registry on PostgreSQL; the three-broker cluster of
``infra/production/kafka`` (TLS, SASL/SCRAM, ACLs, replication 3, min ISR 2).
Embedded default: ``airflow standalone`` (SQLite, LocalExecutor), SQLite registry, one
broker. Both get the same generated feeds (the simulators of ``make run``, same seed, the
same partner PKI, each partner document signed once) and the same order of runs
(tests/support/shape_runs.py says why the order is fixed); what they publish must be the
same events, byte for byte, less batch proofs and timestamps.

Not in ``make test`` (about 13 minutes on two cores, the machine shared):
``make test-production-shape``.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.config import Settings, load_settings
from hub.keys import open_pki
from infra.demo import start_agencies
from tests.support.embedded_shape import EmbeddedShape
from tests.support.production_shape import WORKERS, ProductionShape
from tests.support.shape_runs import (
    PUBLISH,
    ExchangeRun,
    Outcome,
    overlapping,
    published,
    run_exchange,
    same_signatures,
    source_dag_ids,
    sources_toml,
)

# Both shapes one after the other, each started, run and read back: ~12-13 min on two
# cores; the guard is for a hang, far above it.
TEST_TIMEOUT_S = 2400
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artefacts" / "production-shape"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(TEST_TIMEOUT_S)]


def _say(line: str) -> None:
    print(line, flush=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One development PKI (hub keys, partner CAs) both shapes share and trust."""
    passphrase = base64.urlsafe_b64encode(os.urandom(18)).decode()
    var = tmp_path_factory.mktemp("pki-var")
    open_pki(load_settings({"HUB_VAR_DIR": str(var), "HUB_KEY_PASSPHRASE": passphrase}))
    return var / "pki", passphrase


@pytest.fixture(scope="module")
def partner_signer_once(pki: tuple[Path, str]) -> Callable[[str, bytes], bytes]:
    """The partners' signer of both shapes' simulators: each document signed once."""
    from infra.agencies.signing import partner_signer

    settings = load_settings({"HUB_VAR_DIR": str(pki[0].parent), "HUB_KEY_PASSPHRASE": pki[1]})
    return same_signatures(partner_signer(open_pki(settings)))


def _simulators(var_dir: Path, passphrase: str, signer: Callable[[str, bytes], bytes]
                ):  # type: ignore[no-untyped-def]
    """The agency simulators of make run (same seed, same counts) for one shape."""
    settings = load_settings({"HUB_VAR_DIR": str(var_dir), "HUB_KEY_PASSPHRASE": passphrase})
    return start_agencies(settings, port=0, signer=signer)


@pytest.fixture(scope="module")
def embedded(pki: tuple[Path, str], partner_signer_once: Callable[[str, bytes], bytes],
             kafka_settings: Settings,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ExchangeRun, Outcome]]:
    shape = EmbeddedShape(tmp_path_factory.mktemp("embedded"), *pki, broker=kafka_settings)
    sim = _simulators(shape.var_dir, pki[1], partner_signer_once)
    try:
        shape.start(sources_toml(sim.url), [*source_dag_ids(), PUBLISH])
        _say("embedded default: exchange ...")
        exchange = run_exchange(shape.api, source_dag_ids(), _say)
        yield exchange, published(shape.settings())
    finally:
        shape.stop()
        sim.stop()


@pytest.fixture(scope="module")
def production(pki: tuple[Path, str], partner_signer_once: Callable[[str, bytes], bytes],
               embedded: tuple[ExchangeRun, Outcome],
               tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[ProductionShape, ExchangeRun, Outcome]]:
    """Started after the embedded run has finished and stopped: never both at once."""
    shape = ProductionShape(tmp_path_factory.mktemp("production"), *pki)
    sim = _simulators(shape.var_dir, pki[1], partner_signer_once)
    try:
        shape.start(sources_toml(sim.url), [*source_dag_ids(), PUBLISH])
        _say("production shape: exchange ...")
        exchange = run_exchange(shape.api, source_dag_ids(), _say)
        yield shape, exchange, published(shape.settings("admin"))
    finally:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        (ARTEFACTS / "components.log").write_text(shape.tails(200), encoding="utf-8")
        shape.stop()
        sim.stop()


def _first_difference(got: object, want: object, context: int = 120) -> str:
    """Where two values' texts part, with some context either side."""
    a, b = repr(got), repr(want)
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
              min(len(a), len(b)))
    start = max(0, at - context)
    return f"production ...{a[start:at + context]}... embedded ...{b[start:at + context]}..."


class TestProductionShape:
    def test_every_run_succeeds_on_both_shapes(self, embedded, production) -> None:
        for name, exchange in (("embedded", embedded[0]), ("production", production[1])):
            assert exchange.failed == [], f"{name}: {exchange.failed}"
            _say(f"{name}: {len(exchange.runs)} runs in {exchange.seconds:.0f}s")

    def test_each_stage_ran_on_the_worker_of_its_kafka_user(self, production) -> None:
        shape, exchange, _out = production
        for run in exchange.runs:
            want = "mhub-stage2" if run.dag_id == PUBLISH else "mhub-stage1"
            queues = {t["queue"] for t in shape.api.task_instances(run.dag_id, run.run_id)}
            assert queues == {want}, (run.dag_id, queues)
        for worker in WORKERS:
            assert "Task airflow.providers.celery" in shape.log_of(worker) or \
                "execute_workload" in shape.log_of(worker), f"{worker} ran no task"

    def test_publish_tasks_ran_beside_source_tasks(self, production) -> None:
        shape, exchange, _out = production
        pairs = overlapping(shape.api, exchange)
        assert pairs, "no publish task ran while a source task ran"

    def test_events_equal_the_embedded_defaults(self, embedded, production) -> None:
        want, got = embedded[1], production[2]
        assert len(want.events) > 0 and len(want.dlq) > 0
        assert sorted(got.events) == sorted(want.events)
        for part, what in enumerate(("key (person)", "headers", "canonical bytes")):
            differing = [k for k in want.events if got.events[k][part] != want.events[k][part]]
            assert differing == [], (
                f"{len(differing)} events differ in their {what}; the first, {differing[0]}: "
                + _first_difference(got.events[differing[0]][part],
                                    want.events[differing[0]][part]))
        assert got.dlq == want.dlq
        assert got.corroborations == want.corroborations
