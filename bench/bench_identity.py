"""Person registry throughput on SQLite and the bounded dedup cache's memory per key.

    python bench/bench_identity.py [--quick] [--records N] [--cache-keys N]

Prints, from one run: resolutions/s with an empty registry (every record
writes), with a warm cache (records seen again, same process), and cold: a
fresh interpreter spawned on the filled file, so no import, ``lru_cache`` or
registry cache is warm (the OS page cache may still hold the file: the machine
is not rebooted); then the cache's bytes per resident key (table arithmetic
and measured RSS growth) and its get/put rates with eviction. Ends with a
``RESULT`` line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reporting import Ticker, note, result  # noqa: E402
from hub.intake.identity.registry import PersonRegistry  # noqa: E402
from hub.publish.cache import BoundedIndexCache  # noqa: E402
from hub.publish.dedup import IndexEntry  # noqa: E402
from infra.labelled.generator import generate  # noqa: E402

#: The rate the design asks of the registry: the hub's end-to-end target.
TARGET_RESOLUTIONS_PER_S = 20_000


# Seconds the cold child may take before the bench gives up on it (200,000
# resolutions run at thousands per second; this is ample even on a loaded machine).
COLD_CHILD_TIMEOUT_S = 900


def _rate(registry: PersonRegistry, batch: list, label: str) -> float:
    ticker = Ticker(label, len(batch))
    start = time.perf_counter()
    for n, ids in enumerate(batch):
        registry.resolve(ids)
        if not n % 1000:
            ticker.tick(n)
    registry.flush()
    elapsed = time.perf_counter() - start
    rate = len(batch) / elapsed
    print(f"  {label:<44} {len(batch):>8} in {elapsed:6.2f} s  {rate:>9,.0f} /s", flush=True)
    return rate


def cold_child(db: Path, batch_file: Path) -> int:
    """The cold measurement, run in a fresh interpreter: prints its rate as JSON."""
    batch = pickle.loads(batch_file.read_bytes())
    reg = PersonRegistry.open(db)
    rate = _rate(reg, batch, "cold: new process on the filled file")
    reg.close()
    print(json.dumps({"cold_rps": rate}), flush=True)
    return 0


def _cold(db: Path, batch: list) -> float:
    """Spawn a new interpreter for the cold run; its figure comes back as the last line."""
    batch_file = db.parent / "batch.pickle"
    batch_file.write_bytes(pickle.dumps(batch))
    note("cold run: spawning a fresh interpreter on the filled file ...")
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--cold-child", str(db), str(batch_file)],
        check=True, stdout=subprocess.PIPE, text=True, timeout=COLD_CHILD_TIMEOUT_S,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
    )
    lines = out.stdout.rstrip().splitlines()
    print("\n".join(lines[:-1]), flush=True)
    return float(json.loads(lines[-1])["cold_rps"])


def bench_registry(records: int) -> dict[str, float]:
    people = max(200, records // 3)
    note(f"generating the labelled set for {people:,} people ...")
    data = generate(people, seed=42)
    batch = [r.ids for r in data.records]
    while len(batch) < records:
        batch += batch[: records - len(batch)]
    batch = batch[:records]
    print(f"registry on SQLite: {len(batch)} resolutions of {people} people", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "var" / "registry.db"
        reg = PersonRegistry.open(path)
        note("empty registry ...")
        first = _rate(reg, batch, "empty registry (creates, links, writes)")
        note("same records again, same process ...")
        warm = _rate(reg, batch, "same records again, warm cache")
        reg.close()
        cold = _cold(path, batch)
        size = path.stat().st_size + sum(
            p.stat().st_size for p in path.parent.iterdir() if p.name.endswith("-wal")
        )
    print(f"  database size {size / 1e6:.1f} MB")
    for label, rate in (("empty", first), ("warm", warm), ("cold", cold)):
        print(f"  ratio {label} / target {TARGET_RESOLUTIONS_PER_S:,}/s: "
              f"{rate / TARGET_RESOLUTIONS_PER_S:.2f}")
    print(f"  ratio warm / cold (same run): {warm / cold:.2f}")
    return {"empty_rps": first, "warm_rps": warm, "cold_rps": cold}


def _entry(n: int) -> IndexEntry:
    return IndexEntry(uuid.UUID(int=n), "interior", n, 1, n.to_bytes(8, "big"), "interior")


def bench_cache(keys: int) -> dict[str, float]:
    note(f"bounded dedup cache: filling {keys:,} keys ...")
    print(f"bounded dedup cache: {keys:,} resident keys")
    proc = psutil.Process(os.getpid())
    rng = random.Random(1)
    # Event ids and record keys are UUIDv5 (SHA-1): random 16-byte strings.
    # Made before the RSS baseline so only the cache is measured.
    resident = [rng.randbytes(16) for _ in range(keys)]
    entry = _entry(1)
    gc.collect()
    before = proc.memory_info().rss
    backing: dict[bytes, IndexEntry] = {}
    cache = BoundedIndexCache(keys, backing.get)
    start = time.perf_counter()
    for key in resident:
        cache.put(key, entry)
    fill = time.perf_counter() - start
    rss = proc.memory_info().rss - before
    print(f"  table arithmetic       {cache.bytes_per_key:6.1f} B/key"
          f"  ({cache.memory_bytes() / 1e6:,.0f} MB for {keys:,} keys)")
    print(f"  measured RSS growth    {rss / keys:6.1f} B/key")
    print(f"  10,000,000 keys would need {cache.bytes_per_key * 10_000_000 / 1e6:,.0f} MB")
    print(f"  put (fill)             {keys / fill:>9,.0f} /s")
    probes = min(keys, 200_000)
    start = time.perf_counter()
    for key in resident[:probes]:
        cache.get(key)
    hit = time.perf_counter() - start
    print(f"  get (hit)              {probes / hit:>9,.0f} /s")
    fresh = [rng.randbytes(16) for _ in range(probes)]
    start = time.perf_counter()
    for key in fresh:
        cache.put(key, entry)
    evict = time.perf_counter() - start
    print(f"  put with eviction      {probes / evict:>9,.0f} /s  ({cache.evictions:,} evictions)")
    return {"cache_bytes_per_key": cache.bytes_per_key, "cache_rss_bytes_per_key": rss / keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--records", type=int, help="resolutions to time")
    parser.add_argument("--cache-keys", type=int, help="resident keys in the cache")
    parser.add_argument("--cold-child", nargs=2, metavar=("DB", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        return cold_child(Path(args.cold_child[0]), Path(args.cold_child[1]))
    records = args.records or (20_000 if args.quick else 200_000)
    reg = bench_registry(records)
    cache = bench_cache(args.cache_keys or (200_000 if args.quick else 10_000_000))
    result(records=records, **reg, cold_process=1, **cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
