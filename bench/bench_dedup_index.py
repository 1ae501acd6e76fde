"""Stage 2's memory with a 10-million-key dedup index, measured.

Stage 2 keeps at most ``INDEX_CACHE_ENTRIES`` index entries in memory (a
bounded CLOCK cache, ~71 bytes each) in front of a local SQLite view of the
compacted index topic. This fills that view with N keys (10,000,000 by
default; the topic itself is not needed to measure the process), then decides
a stream of reports against it — half about known events (replays and
corroborations), half new — through the same cache and store stage 2 uses, and
prints peak RSS against the same process before the index existed.

    python bench/bench_dedup_index.py            # 10,000,000 keys
    python bench/bench_dedup_index.py --quick    # 1,000,000 keys
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reporting import Ticker, note, result  # noqa: E402
from hub.publish.cache import BoundedIndexCache  # noqa: E402
from hub.publish.dedup import (  # noqa: E402
    IndexEntry,
    Outcome,
    Report,
    decide,
    record_ref,
)
from hub.publish.index import DedupStore  # noqa: E402
from hub.publish.stage import INDEX_CACHE_ENTRIES  # noqa: E402

# Rows per SQLite transaction while filling: large enough to amortise the commit.
FILL_BATCH = 100_000
LOOKUPS = 200_000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def event_id(i: int) -> uuid.UUID:
    return uuid.UUID(int=(i * 0x9E3779B97F4A7C15) % (1 << 128) or 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keys", type=int)
    ap.add_argument("--dir", default=str(ROOT / "var" / "bench" / "dedup-index"))
    args = ap.parse_args()
    n = args.keys or (1_000_000 if args.quick else 10_000_000)
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"p0-{n}.sqlite"
    base = rss_mb()
    store = DedupStore(path, 0)
    have = store.count()
    if have < n:
        note(f"filling the local index view with {n:,} keys (once) ...")
        t0 = time.monotonic()
        for start in range(have, n, FILL_BATCH):
            rows = []
            for i in range(start, min(n, start + FILL_BATCH)):
                eid = event_id(i)
                rows.append((eid.bytes, IndexEntry(eid, "interior", record_ref("interior", f"r{i}"),
                                                   1, b"\x01" * 8, "interior")))
            store.apply(rows, 0)
            if start and start % 1_000_000 == 0:
                note(f"  {start:,} ({start / (time.monotonic() - t0):,.0f}/s)")
    else:
        note(f"the local index view already holds {have:,} keys ({path}); not refilled")
    after_fill = rss_mb()
    cache = BoundedIndexCache(INDEX_CACHE_ENTRIES, miss=store.get)
    rng = random.Random(1)
    counts = {o: 0 for o in Outcome}
    note(f"deciding {LOOKUPS:,} reports (half known, half new) ...")
    ticker = Ticker("decisions", LOOKUPS)
    t0 = time.perf_counter()
    for done in range(LOOKUPS):
        if not done % 1000:
            ticker.tick(done)
        if rng.random() < 0.5:
            i = rng.randrange(n)
            cand = Report(event_id(i), "partner-uzb", f"p{i}", 1, b"\x02" * 8)
        else:
            i = n + rng.randrange(n)
            cand = Report(event_id(i), "interior", f"r{i}", 1, b"\x01" * 8)
        decision = decide(cand, cache)
        counts[decision.outcome] += 1
        for key, entry in decision.writes:
            cache.put(key, entry)
    elapsed = time.perf_counter() - t0
    peak = rss_mb()
    size_mb = path.stat().st_size / 1e6
    print(f"index keys                  {n:,} (local view {size_mb:,.0f} MB on disk)")
    print(f"resident cache              {INDEX_CACHE_ENTRIES:,} entries, "
          f"{cache.memory_bytes() / 1e6:.0f} MB")
    rate = LOOKUPS / elapsed
    print(f"decisions                   {LOOKUPS:,} in {elapsed:.1f} s = {rate:,.0f}/s "
          f"({counts[Outcome.NEW]:,} new, {counts[Outcome.CORROBORATION]:,} corroborations)")
    print(f"peak RSS                    {peak:.0f} MB (before the index: {base:.0f} MB; "
          f"after filling: {after_fill:.0f} MB)")
    print(f"ratio peak / 500 MB budget  {peak / 500:.2f}")
    store.close()
    result(keys=n, decisions_per_s=rate, peak_rss_mb=peak, rss_before_index_mb=base,
           cache_mb=cache.memory_bytes() / 1e6, budget_ratio=peak / 500)
    return 0


if __name__ == "__main__":
    sys.exit(main())
