"""CPU time per record of each stage, one process, on a fixed generated dataset.

Wall-clock rates on the shared two-core machine move with everyone else's load;
the CPU a process spends per record (``time.process_time``: every thread of the
process, librdkafka's included) barely does. Stage 1 runs every feed of
``bench_e2e`` one after another (extract then intake, runs of 20 pages, fresh
var dir and topics), then stage 2 drains each intake partition; start-up
(imports, opening the registry and the producer) is inside the window, as in
``bench_e2e``. ``--profile DIR`` writes a cProfile of each stage there.

    PYTHONPATH=$PWD .venv/bin/python bench/cpu_per_record.py --records 6000
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.e2e_support import (  # noqa: E402
    FEEDS,
    FileConnector,
    generate,
    record_files,
    run_env,
    source_for,
)
from hub.config import load_settings  # noqa: E402

# As in bench_e2e: a large agency page, runs of 20 pages, two intake partitions.
PAGE_RECORDS = 1_000
PAGES_PER_RUN = 20
PARTITIONS = 2


def stage1(settings, files: dict[str, Path]) -> int:
    from hub.intake.stage import extract, intake

    pulled = 0
    for feed, path in files.items():
        source = source_for(feed, PAGE_RECORDS, PAGES_PER_RUN)
        connector = FileConnector(source.name, path, PAGE_RECORDS)
        runs = 0
        while True:
            ref = extract(source, f"run-{runs}", settings, connector=connector)
            if ref["records"] == 0:
                break
            pulled += intake(ref, settings, source=source, connector=connector).pulled
            runs += 1
    return pulled


def stage2(settings) -> int:
    from hub.publish.stage import publish_partition

    return sum(publish_partition(p, settings).consumed for p in range(PARTITIONS))


class GcClock:
    """CPU spent inside the cycle collector, and how many collections ran."""

    def __init__(self) -> None:
        self.seconds, self.collections, self._start = 0.0, 0, 0.0

    def __call__(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._start = time.process_time()
            self.collections += 1
        else:
            self.seconds += time.process_time() - self._start


def timed(name: str, fn, profile_dir: Path | None):
    prof = cProfile.Profile(time.process_time) if profile_dir else None
    clock = GcClock()
    gc.callbacks.append(clock)
    t0, w0 = time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    try:
        n = fn()
    finally:
        gc.callbacks.remove(clock)
    if prof:
        prof.disable()
        prof.dump_stats(str(profile_dir / f"{name}.prof"))
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    print(f"{name}: {n} records, {1e6 * cpu / max(n, 1):.0f} µs CPU/record "
          f"({cpu:.2f} s CPU, {wall:.2f} s wall); cycle collector {clock.collections} runs, "
          f"{1e6 * clock.seconds / max(n, 1):.1f} µs/record", flush=True)
    return n, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=6_000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--profile", type=Path, help="folder for stage1.prof / stage2.prof")
    ap.add_argument("--only", choices=["1", "2"], help="skip the timing of the other stage")
    args = ap.parse_args()
    base = load_settings()
    data_dir = generate(base.var_dir / "bench", args.records, args.seed)
    files = record_files(data_dir)
    _env, settings = run_env(base.var_dir / "bench", data_dir, "cpu", PARTITIONS)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    n1, c1 = timed("stage1", lambda: stage1(settings, files),
                   args.profile if args.only != "2" else None)
    n2, c2 = timed("stage2", lambda: stage2(settings),
                   args.profile if args.only != "1" else None)
    print(f"RESULT records={n1} feeds={len(FEEDS)} stage1_cpu_us={1e6 * c1 / max(n1, 1):.0f} "
          f"stage2_cpu_us={1e6 * c2 / max(n2, 1):.0f} stage2_records={n2}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
