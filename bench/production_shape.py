"""The end-to-end rate on the production shape beside the embedded default, same records.

Both runs are bench_e2e's hub run (``run_hub``: one stage-1 process per feed and one
stage-2 process per intake partition at once, the path Airflow's tasks run, without
Airflow) on the same generated records, one after the other:

* **embedded**: the local broker (one node), the person registry on SQLite;
* **production**: the three-broker cluster of ``infra/production/kafka`` (TLS,
  SASL/SCRAM-SHA-512, ACLs, replication 3, min ISR 2; started from those files by
  ``tests/support/kafka_cluster.py``), the registry on PostgreSQL over loopback TCP.
  ``run_hub`` gives both stages one environment, so they run as the cluster's admin
  super user (the ACLs give each stage a user of its own; ``make
  test-production-shape`` runs them apart, through Airflow and Celery).

The brokers' CPU per record is summed over every node of the shape. Airflow's own
time per run is not in these rates; the production-shape test prints each shape's
exchange through Airflow. The last line is (``bench/reporting.py``)::

    RESULT records=N embedded_rps=N production_rps=N ratio=R embedded_broker_cpu_us=E
        production_broker_cpu_us=P load1=L

    python bench/production_shape.py --quick      # 20,000 records, ~5 minutes
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_e2e import PARTITIONS, run_hub  # noqa: E402
from bench.e2e_support import BrokerCpu, generate, record_files, run_env, us  # noqa: E402
from bench.reporting import note, result  # noqa: E402
from hub.config import load_settings  # noqa: E402
from hub.kafka.topics import ensure_topics, topics_for  # noqa: E402
from tests.support.kafka_cluster import SecureCluster, free_ports  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

# bench_e2e's sizes and seed, so both benches share the generated (cached) records.
QUICK = 20_000
DEFAULT = 200_000
SEED = 5


def _broker_seconds(meters: list[BrokerCpu]) -> float | None:
    readings = [m.seconds() for m in meters]
    return None if None in readings else sum(r for r in readings if r is not None)


def measured(env: dict[str, str], files: dict[str, Path], n: int, nodes: list[str]
             ) -> dict[str, Any]:
    """One run_hub, with the CPU of every broker node over the whole call."""
    meters = [BrokerCpu(address) for address in nodes]
    before = _broker_seconds(meters)
    hub = run_hub(env, files, n)
    after = _broker_seconds(meters)
    hub["rps"] = n / hub["elapsed_s"]
    hub["brokers_cpu_us"] = None if before is None or after is None else 1e6 * (after - before) / n
    return hub


def production_env(base: Path, data_dir: Path, cluster: SecureCluster,
                   registry_url: str) -> dict[str, str]:
    """The hub on the production shape: the cluster as its admin, three replicas, the
    PostgreSQL registry; its own var dir (the data's PKI linked in) and topic prefix."""
    run_dir = base / f"production-{uuid.uuid4().hex[:8]}"
    run_dir.mkdir(parents=True)
    (run_dir / "pki").symlink_to(data_dir / "pki", target_is_directory=True)
    env = {**cluster.env("admin"), "HUB_VAR_DIR": str(run_dir),
           "HUB_TOPIC_PREFIX": f"bench.{run_dir.name}.", "HUB_INTAKE_PARTITIONS": str(PARTITIONS),
           "HUB_REPLICATION_FACTOR": "3", "HUB_REGISTRY_URL": registry_url}
    settings = load_settings(env)
    ensure_topics(topics_for(settings).specs(), settings)
    return env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=f"{QUICK:,} records")
    ap.add_argument("--records", type=int, help=f"records in all (default {DEFAULT:,})")
    ap.add_argument("--seed", type=int, default=SEED, help="the generated records' seed")
    args = ap.parse_args()
    n = args.records or (QUICK if args.quick else DEFAULT)
    out_dir = load_settings().var_dir / "bench"
    note(f"generating {n:,} records (cached) ...")
    data_dir = generate(out_dir, n, args.seed)
    files = record_files(data_dir)

    env, settings = run_env(out_dir, data_dir, "shape-embedded", PARTITIONS)
    note("embedded default: one broker, SQLite registry ...")
    embedded = measured(env, files, n, [settings.kafka_bootstrap])

    base = Path(tempfile.mkdtemp(prefix="mhub-bench-shape-"))
    (pg_port,) = free_ports(1)
    password = base64.urlsafe_b64encode(os.urandom(12)).decode()
    postgres = PostgresServer(port=pg_port, password=password).start()
    cluster = SecureCluster(base / "kafka", size=3)
    try:
        note("production shape: three TLS/SASL brokers, PostgreSQL registry ...")
        started = time.monotonic()
        cluster.start()
        note(f"  cluster up in {time.monotonic() - started:.0f}s")
        postgres.create_database("mhub_registry", owner="mhub", password=password)
        registry = f"postgresql://mhub:{password}@127.0.0.1:{pg_port}/mhub_registry"
        production = measured(production_env(base, data_dir, cluster, registry), files, n,
                              [node.address for node in cluster.nodes])
    finally:
        cluster.stop()
        postgres.stop()

    ratio = production["rps"] / embedded["rps"]
    (out_dir / "production_shape.json").write_text(json.dumps(
        {"records": n, "embedded": embedded, "production": production, "ratio": ratio},
        indent=2))
    for name, run in (("embedded", embedded), ("production", production)):
        print(f"{name:>10}: {run['rps']:,.0f} records/s end to end ({run['elapsed_s']:.1f}s), "
              f"stage 1 {run['stage1_cpu_us']:.0f} µs, stage 2 {run['stage2_cpu_us']:.0f} µs, "
              f"brokers {us(run['brokers_cpu_us'])} per record; published {run['published']:,}")
    result(records=n, embedded_rps=embedded["rps"], production_rps=production["rps"],
           ratio=round(ratio, 2), embedded_broker_cpu_us=embedded["brokers_cpu_us"] or "n/a",
           production_broker_cpu_us=production["brokers_cpu_us"] or "n/a")
    return 0


if __name__ == "__main__":
    sys.exit(main())
