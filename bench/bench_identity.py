"""Person registry throughput on SQLite and the bounded dedup cache's memory per key.

    python bench/bench_identity.py [--quick] [--records N] [--cache-keys N]

Prints, from one run: resolutions/s with an empty registry (every record
writes), with a warm cache (records seen again), and from a cold process on the
filled file (every lookup reads SQLite); then the cache's bytes per resident key
(table arithmetic and measured RSS growth) and its get/put rates with eviction.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.intake.identity.registry import PersonRegistry
from hub.publish.cache import BoundedIndexCache
from hub.publish.dedup import IndexEntry
from infra.labelled.generator import generate

#: The rate the design asks of the registry: the hub's end-to-end target.
TARGET_RESOLUTIONS_PER_S = 20_000


def _rate(registry: PersonRegistry, batch: list, label: str) -> float:
    start = time.perf_counter()
    for ids in batch:
        registry.resolve(ids)
    registry.flush()
    elapsed = time.perf_counter() - start
    rate = len(batch) / elapsed
    print(f"  {label:<44} {len(batch):>8} in {elapsed:6.2f} s  {rate:>9,.0f} /s")
    return rate


def bench_registry(records: int) -> None:
    people = max(200, records // 3)
    data = generate(people, seed=42)
    batch = [r.ids for r in data.records]
    while len(batch) < records:
        batch += batch[: records - len(batch)]
    batch = batch[:records]
    print(f"registry on SQLite: {len(batch)} resolutions of {people} people")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "var" / "registry.db"
        reg = PersonRegistry.open(path)
        first = _rate(reg, batch, "empty registry (creates, links, writes)")
        warm = _rate(reg, batch, "same records again, warm cache")
        reg.close()
        cold_reg = PersonRegistry.open(path)
        cold = _rate(cold_reg, batch, "new process on the filled file (cold cache)")
        cold_reg.close()
        size = path.stat().st_size + sum(
            p.stat().st_size for p in path.parent.iterdir() if p.name.endswith("-wal")
        )
    print(f"  database size {size / 1e6:.1f} MB")
    for label, rate in (("empty", first), ("warm", warm), ("cold", cold)):
        print(f"  ratio {label} / target {TARGET_RESOLUTIONS_PER_S:,}/s: "
              f"{rate / TARGET_RESOLUTIONS_PER_S:.2f}")


def _entry(n: int) -> IndexEntry:
    return IndexEntry(uuid.UUID(int=n), "interior", n, 1, n.to_bytes(8, "big"), "interior")


def bench_cache(keys: int) -> None:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--records", type=int, help="resolutions to time")
    parser.add_argument("--cache-keys", type=int, help="resident keys in the cache")
    args = parser.parse_args()
    bench_registry(args.records or (20_000 if args.quick else 200_000))
    bench_cache(args.cache_keys or (200_000 if args.quick else 10_000_000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
