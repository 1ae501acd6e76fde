"""End to end, both stages at once, against the raw Kafka produce rate of the same bytes.

What runs, all in one run against the real broker (ratios are measured here,
never computed from figures of another run):

* **raw produce**: the generated records' bytes sent by kafka-python's
  idempotent producer (acks=all), the project card's client, and by
  librdkafka's (confluent-kafka), the client the hub's stages use;
* **the hub**: one stage-1 process per source (interior, labour and a signed
  CIS partner feed, so partner signature checks are timed) running the path
  Airflow runs, ``extract`` (staged pages) then ``intake`` (validate ->
  verify -> normalise -> one transaction per page) in consecutive runs of
  ``--pages-per-run`` pages, and at the same time one stage-2 process per
  intake partition (dedup -> render -> batch-sign -> one transaction per
  batch). End to end = from the first stage-1 process start to the last
  stage-2 commit;
* **the naive path** on a sample: per-record ``xmlschema`` validation,
  per-record XMLDSig over the event, one kafka-python send per record.

Records are generated once into files (realistic duplicate, correction and
invalid rates; cached by count and seed): the simulator's generator is not
what is measured. Progress is printed while it runs; the last line is::

    RESULT records=N end_to_end_rps=N raw_rps=N ratio=R peak_rss_mb=M naive_speedup=S concurrent=1

    python bench/bench_e2e.py --quick              # 20,000 records, under 3 minutes
    python bench/bench_e2e.py --records 1000000    # the backfill
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import queue
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.e2e_support import (  # noqa: E402
    BUDGET_US,
    CORES,
    FEEDS,
    TARGET_RPS,
    BrokerCpu,
    cpu_s,
    generate,
    naive_rate,
    peak_rss_mb,
    raw_rates,
    record_files,
    run_env,
    us,
)
from hub.config import load_settings  # noqa: E402

# Records per stage-1 page (= per intake transaction), as a large agency page.
PAGE_RECORDS = 1_000
# Pages per staged run: like consecutive Airflow runs of a source (extract, then intake).
PAGES_PER_RUN = 20
# Intake partitions = stage-2 processes.
PARTITIONS = 2
# Seconds between progress lines.
PROGRESS_EVERY_S = 3.0


def _stage1(env: dict[str, str], feed: str, path: str, counter: Any, out: Any) -> None:
    from bench.e2e_support import FileConnector, source_for
    from hub.intake.stage import extract, intake

    settings = load_settings(env)
    source = source_for(feed, PAGE_RECORDS, PAGES_PER_RUN)
    connector = FileConnector(source.name, Path(path), PAGE_RECORDS)
    intake_n = quarantined = runs = rejudged = 0
    while True:
        ref = extract(source, f"run-{runs}", settings, connector=connector)
        if ref["records"] == 0:
            break
        s = intake(ref, settings, source=source, connector=connector)
        intake_n += s.intake
        quarantined += s.quarantined_total
        rejudged += s.rejudged
        runs += 1
        with counter.get_lock():
            counter.value += s.pulled
    out.put({"stage": 1, "feed": feed, "end": time.time(), "intake": intake_n,
             "quarantined": quarantined, "rejudged": rejudged, "runs": runs, "cpu_s": cpu_s(),
             "rss_mb": peak_rss_mb()})


def _stage2(env: dict[str, str], partition: int, done: Any, counter: Any, out: Any) -> None:
    from hub.publish.stage import publish_partition

    settings = load_settings(env)
    s = publish_partition(partition, settings, follow=lambda: not done.is_set())
    with counter.get_lock():
        counter.value += s.consumed
    out.put({"stage": 2, "partition": partition, "end": time.time(), "consumed": s.consumed,
             "published": s.published_total, "new": s.new, "corrections": s.corrections,
             "corroborations": s.corroborations, "replays": s.replays,
             "cpu_s": cpu_s(), "rss_mb": peak_rss_mb()})


def run_hub(env: dict[str, str], files: dict[str, Path], n: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    done = ctx.Event()
    pulled, consumed = ctx.Value("q", 0), ctx.Value("q", 0)
    stage2 = [ctx.Process(target=_stage2, args=(env, p, done, consumed, q))
              for p in range(PARTITIONS)]
    stage1 = [ctx.Process(target=_stage1, args=(env, feed, str(path), pulled, q))
              for feed, path in files.items()]
    broker = BrokerCpu(load_settings(env).kafka_bootstrap)
    for proc in stage2:
        proc.start()
    t0, broker0 = time.time(), broker.seconds()
    for proc in stage1:
        proc.start()
    results: list[dict[str, Any]] = []
    last = time.monotonic()
    while len(results) < len(stage1) + len(stage2):
        with contextlib.suppress(queue.Empty):  # nobody finished in this half second
            results.append(q.get(timeout=0.5))
        if sum(r["stage"] == 1 for r in results) == len(stage1):
            done.set()
        crashed = [p for p in stage1 + stage2 if p.exitcode not in (None, 0)]
        if crashed:
            for proc in stage1 + stage2:
                proc.kill()
            raise SystemExit(f"a hub process failed (exit {crashed[0].exitcode}): see above")
        if time.monotonic() - last >= PROGRESS_EVERY_S:
            last = time.monotonic()
            print(f"  {time.time() - t0:6.1f}s  stage 1: {pulled.value:,}/{n:,} committed"
                  f"   (stage 2 reports at its end)", file=sys.stderr, flush=True)
    for proc in stage1 + stage2:
        proc.join()
    broker_us = broker.per_record_us(broker0, n)  # the same window, per record pulled
    s1 = [r for r in results if r["stage"] == 1]
    s2 = [r for r in results if r["stage"] == 2]
    end1 = max(r["end"] for r in s1)
    end2 = max(r["end"] for r in s2)
    intake_n = sum(r["intake"] for r in s1)
    return {
        "elapsed_s": end2 - t0,
        "stage1_elapsed_s": end1 - t0,
        "intake": intake_n,
        "quarantined": sum(r["quarantined"] for r in s1),
        "rejudged": sum(r["rejudged"] for r in s1),
        "consumed": sum(r["consumed"] for r in s2),
        "published": sum(r["published"] for r in s2),
        "new": sum(r["new"] for r in s2),
        "corrections": sum(r["corrections"] for r in s2),
        "corroborations": sum(r["corroborations"] for r in s2),
        "replays": sum(r["replays"] for r in s2),
        "stage1_cpu_us": 1e6 * sum(r["cpu_s"] for r in s1) / n,
        "stage2_cpu_us": 1e6 * sum(r["cpu_s"] for r in s2) / max(intake_n, 1),
        "broker_cpu_us": broker_us,  # None: the broker is not a local process
        "rss_mb": {f"stage1-{r['feed']}": r["rss_mb"] for r in s1}
        | {f"stage2-p{r['partition']}": r["rss_mb"] for r in s2},
    }


def chart(result: dict[str, Any], png: Path) -> None:
    """Left: rates of the same bytes. Right: where one record's CPU goes, hub against
    raw produce, with the budget two cores allow at the target rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["raw produce\nkafka-python", "raw produce\nlibrdkafka",
              "hub end to end\n(both stages)", "naive path"]
    values = [result["raw_rps"], result["raw_librdkafka_rps"], result["end_to_end_rps"],
              result["naive_rps"]]
    fig, (ax, cpu) = plt.subplots(1, 2, figsize=(13, 4.8), width_ratios=[3, 2])
    bars = ax.bar(labels, values, color=["#888", "#bbb", "#c44e52", "#4c72b0"])
    ax.bar_label(bars, labels=[f"{v:,.0f}/s" for v in values])
    ax.set_ylabel("records per second (same bytes)")
    ax.set_title(
        f"{result['records']:,} records, one run, 2 cores + broker\nend to end = "
        f"{result['ratio']:.2f} × kafka-python raw; peak RSS {result['peak_rss_mb']:.0f} MB "
        "(largest process)",
        fontsize=10,
    )
    broker = result.get("broker_cpu_us") or 0.0
    raw_broker = result.get("raw_broker_cpu_us") or 0.0
    parts = [("stage 1", [result["stage1_cpu_us"], 0.0], "#c44e52"),
             ("stage 2", [result["stage2_cpu_us"], 0.0], "#dd8452"),
             ("client (kafka-python)", [0.0, result.get("raw_client_cpu_us") or 0.0], "#888"),
             ("broker", [broker, raw_broker], "#4c72b0")]
    bottom = [0.0, 0.0]
    for name, heights, colour in parts:
        cpu.bar(["hub, per record", "raw produce,\nper record"], heights, bottom=bottom,
                color=colour, label=name)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    for x, total in enumerate(bottom):
        cpu.annotate(f"{total:,.0f} µs", (x, total), ha="center", va="bottom")
    cpu.axhline(BUDGET_US, color="black", linestyle="--", linewidth=1)
    cpu.annotate(f"all of {CORES} cores at {TARGET_RPS:,}/s: {BUDGET_US:.0f} µs",
                 (0.5, BUDGET_US), ha="center", va="bottom", fontsize=8)
    cpu.set_ylabel("CPU µs per record (user + system)")
    cpu.set_title("where the CPU goes (broker: local process, same window)", fontsize=10)
    cpu.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20,000 records")
    ap.add_argument("--records", type=int, help="records in all (default 200,000)")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    n = args.records or (20_000 if args.quick else 200_000)
    base = load_settings()
    out_dir = base.var_dir / "bench"
    print(f"generating {n:,} records (cached) ...", file=sys.stderr, flush=True)
    data_dir = generate(out_dir, n, args.seed)
    files = record_files(data_dir)
    env, settings = run_env(out_dir, data_dir, "e2e", PARTITIONS)

    print("raw produce of the same bytes (kafka-python, librdkafka) ...", file=sys.stderr)
    raw = raw_rates(settings, list(files.values()))
    print("naive path on a sample ...", file=sys.stderr, flush=True)
    naive = naive_rate(settings, files, data_dir)
    print(f"the hub: {len(files)} sources and {PARTITIONS} partitions at once ...",
          file=sys.stderr, flush=True)
    hub = run_hub(env, files, n)
    e2e = n / hub["elapsed_s"]
    result = {
        "records": n, "feeds": FEEDS, "end_to_end_rps": e2e,
        "stage1_rps": n / hub["stage1_elapsed_s"],
        "raw_rps": raw["kafka_python"], "raw_librdkafka_rps": raw["librdkafka"],
        "raw_client_cpu_us": raw["kafka_python_client_cpu_us"],
        "raw_broker_cpu_us": raw.get("kafka_python_broker_cpu_us"),
        "ratio": e2e / raw["kafka_python"], "naive_rps": naive,
        "naive_speedup": e2e / naive, "peak_rss_mb": max(hub["rss_mb"].values()), **hub,
    }
    (out_dir / "e2e.json").write_text(json.dumps(result, indent=2))
    chart(result, out_dir / "e2e.png")
    print(json.dumps(result, indent=2))
    print(f"chart: {out_dir / 'e2e.png'}")
    print(f"CPU per record: stage 1 {result['stage1_cpu_us']:.0f} µs, stage 2 "
          f"{result['stage2_cpu_us']:.0f} µs, broker {us(result['broker_cpu_us'])}; raw "
          f"kafka-python produce: client {result['raw_client_cpu_us']:.0f} µs, broker "
          f"{us(result['raw_broker_cpu_us'])}; two cores at {TARGET_RPS:,}/s allow "
          f"{BUDGET_US:.0f} µs")
    print(f"RESULT records={n} end_to_end_rps={e2e:.0f} raw_rps={raw['kafka_python']:.0f} "
          f"ratio={result['ratio']:.2f} peak_rss_mb={result['peak_rss_mb']:.0f} "
          f"naive_speedup={result['naive_speedup']:.1f} concurrent=1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
