"""Connector memory and throughput: pull N records from the interior simulator.

The simulator runs in its own process (``python -m infra.agencies.cli serve``), so the numbers
are the connector's alone: peak RSS of this process after 1/10 of the run and
at the end (a flat profile means O(page) memory), and records/s. Each page is
dropped after counting, as the hub does once a page is published.

    python bench/bench_connectors.py            # 100,000 vs 1,000,000 records
    python bench/bench_connectors.py --quick    # 10,000 vs 100,000 records
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reporting import Ticker, note, result  # noqa: E402
from connectors.interior import InteriorConnector  # noqa: E402

# Records per REST page: the hub's default batch size for the interior source.
PAGE_SIZE = 1_000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="10k vs 100k records")
    ap.add_argument("--records", type=int, help="total records (default 1,000,000; quick 100,000)")
    args = ap.parse_args()
    total = args.records or (100_000 if args.quick else 1_000_000)
    checkpoint = total // 10
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    note(f"starting the interior simulator with {total:,} records ...")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.agencies.cli",
            "serve",
            "--port",
            "0",
            "--seed",
            "42",
            "--interior",
            str(total),
            "--partner",
            "0",
            "--labour",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        url = json.loads(server.stdout.readline())["url"]
        proc = psutil.Process()
        conn = InteriorConnector("interior", url + "/interior", page_size=PAGE_SIZE)
        pulled = 0
        nbytes = 0
        peak = proc.memory_info().rss
        rss_at_checkpoint = None
        note(f"pulling {total:,} records in pages of {PAGE_SIZE:,} ...")
        ticker = Ticker("pulled", total)
        t0 = time.perf_counter()
        t_checkpoint = None
        position = None
        for page in conn.pages(position):
            pulled += len(page.records)
            nbytes += sum(len(r.body) for r in page.records)
            position = page.position
            del page
            peak = max(peak, proc.memory_info().rss)
            ticker.tick(pulled)
            if rss_at_checkpoint is None and pulled >= checkpoint:
                rss_at_checkpoint = peak
                t_checkpoint = time.perf_counter() - t0
        elapsed = time.perf_counter() - t0
        conn.stop()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert pulled == total, (pulled, total)
    mb = 1024 * 1024
    print(f"records pulled:            {pulled:,} ({nbytes / mb:,.0f} MB of XML)")
    print(f"peak RSS at {checkpoint:>9,}:   {rss_at_checkpoint / mb:8.1f} MB")
    print(f"peak RSS at {total:>9,}:   {peak / mb:8.1f} MB")
    print(f"RSS ratio (end/tenth):     {peak / rss_at_checkpoint:8.3f}  (1.0 = flat)")
    print(f"records/s (whole run):     {pulled / elapsed:8,.0f}")
    print(f"records/s (first tenth):   {checkpoint / t_checkpoint:8,.0f}")
    print(f"position after the run:    {json.dumps(position)}")
    result(records=pulled, rps=pulled / elapsed, rps_first_tenth=checkpoint / t_checkpoint,
           peak_rss_mb=peak / mb, rss_tenth_mb=rss_at_checkpoint / mb,
           rss_ratio=peak / rss_at_checkpoint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
