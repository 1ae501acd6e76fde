"""End to end against the raw Kafka produce rate of the same bytes, in one run.

Both stages of the hub run for real against the broker: parse, validate (XSD +
rules), normalise (person registry, event keys), the stage-1 intake transaction
with the cursor, then stage 2 (dedup against the index, canonical event, Merkle
batch signature, one transaction with events, index entries, manifest and
consumed offsets; acks=all). The baseline sends the same raw record bytes with
kafka-python's idempotent producer (acks=all), no transaction. The records are
generated once into a file first (the simulator's generator is slower than the
hub and is not what is measured), then streamed from it: memory stays flat.

    python bench/bench_e2e.py --quick        # 20,000 records
    python bench/bench_e2e.py                # 200,000 records
    python bench/bench_e2e.py --records 1000000

Prints records/s of each part, the ratio to the raw rate and peak RSS, and
writes a PNG chart beside the JSON result under var/bench/.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import struct
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.base import Page, Position, RawRecord, SourceConnector  # noqa: E402
from hub.config import Settings, load_settings  # noqa: E402
from hub.kafka.clients import TopicSpec, ensure_topics, producer  # noqa: E402
from hub.kafka.topics import topics_for  # noqa: E402
from hub.sources import SourceConfig  # noqa: E402
from infra.agencies.generator import Generator, GeneratorConfig, Rates  # noqa: E402

# Records per stage-1 page (= per intake transaction): the interior source's batch size.
PAGE_RECORDS = 2_000
_LEN = struct.Struct(">I")


def generate(path: Path, n: int, seed: int) -> None:
    """Write n interior records (valid, with duplicates and corrections) length-prefixed."""
    if path.exists() and path.stat().st_size > 0:
        meta = path.with_suffix(".json")
        if meta.exists() and json.loads(meta.read_text()) == {"n": n, "seed": seed}:
            return
    gen = Generator(
        GeneratorConfig(seed=seed, population=max(1_000, n // 3), rates=Rates(invalid=0.0))
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with path.open("wb") as out:
        for i in range(n):
            body = gen.record("interior", i)
            out.write(_LEN.pack(len(body)) + body)
            if i and i % 50_000 == 0:
                rate = i / (time.monotonic() - t0)
                print(f"  generated {i:,}/{n:,} ({rate:,.0f}/s)", file=sys.stderr)
    path.with_suffix(".json").write_text(json.dumps({"n": n, "seed": seed}))


def read_records(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while head := f.read(4):
            yield f.read(_LEN.unpack(head)[0])


class FileConnector(SourceConnector):
    """Pages over the generated file; position = records consumed (the hub stores it)."""

    family = "interior"

    def __init__(self, source: str, path: Path) -> None:
        super().__init__(source)
        self.path = path
        self._it: Iterator[bytes] | None = None
        self._offset = 0

    def poll(self, position: Position | None) -> Page:
        start = int((position or {}).get("offset", 0))
        if self._it is None or self._offset != start:
            self._it = read_records(self.path)
            for _ in range(start):
                next(self._it)
            self._offset = start
        records = []
        for body in self._it:
            records.append(RawRecord(self.source, f"r{self._offset}", body))
            self._offset += 1
            if len(records) == PAGE_RECORDS:
                break
        return Page(records, {"offset": self._offset}, exhausted=len(records) < PAGE_RECORDS)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_produce(settings: Settings, path: Path) -> tuple[float, int]:
    topic = f"{settings.topic_prefix}raw-baseline"
    ensure_topics([TopicSpec(topic, settings.intake_partitions)], settings)
    prod = producer(settings)
    n = 0
    t0 = time.perf_counter()
    for body in read_records(path):
        prod.send(topic, key=str(n).encode(), value=body)
        n += 1
    prod.flush()
    elapsed = time.perf_counter() - t0
    prod.close()
    return elapsed, n


def _stage1(settings_env: dict[str, str], path: str, out: Any) -> None:
    from hub.intake.stage import run_source

    settings = load_settings(settings_env)
    src = SourceConfig("bench-interior", "interior", "file://" + path, "bench@example.kz",
                       batch_size=PAGE_RECORDS, max_pages=10**9)
    t0 = time.perf_counter()
    s = run_source(src, settings, connector=FileConnector(src.name, Path(path)))
    out.put({"stage": 1, "elapsed": time.perf_counter() - t0, "intake": s.intake,
             "quarantined": s.quarantined_total, "rss_mb": peak_rss_mb()})


def _stage2(settings_env: dict[str, str], partitions: list[int], out: Any) -> None:
    from hub.publish.stage import publish_partition

    settings = load_settings(settings_env)
    t0 = time.perf_counter()
    published = new = 0
    for p in partitions:
        s = publish_partition(p, settings)
        published += s.published_total
        new += s.new
    out.put({"stage": 2, "elapsed": time.perf_counter() - t0, "published": published,
             "new": new, "rss_mb": peak_rss_mb()})


def chart(result: dict[str, Any], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["raw produce\n(same bytes)", "stage 1\n(validate..intake)",
              "stage 2\n(dedup..publish)", "end to end\n(both stages)"]
    values = [result["raw_rate"], result["stage1_rate"], result["stage2_rate"],
              result["e2e_rate"]]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    bars = ax.bar(labels, values, color=["#888", "#4c72b0", "#55a868", "#c44e52"])
    ax.bar_label(bars, labels=[f"{v:,.0f}/s" for v in values])
    ax.set_ylabel("records per second")
    ax.set_title(
        f"{result['records']:,} records, one run: end to end = "
        f"{result['ratio']:.2f} × raw produce; peak RSS {result['peak_rss_mb']:.0f} MB"
    )
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--records", type=int)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    n = args.records or (20_000 if args.quick else 200_000)
    base = load_settings()
    out_dir = base.var_dir / "bench"
    data = out_dir / f"interior-{n}-{args.seed}.bin"
    print(f"generating {n:,} records (once) ...", file=sys.stderr)
    generate(data, n, args.seed)
    run_dir = out_dir / f"e2e-{uuid.uuid4().hex[:8]}"
    env = {
        "HUB_VAR_DIR": str(run_dir),
        "HUB_TOPIC_PREFIX": f"bench.{run_dir.name}.",
        "HUB_INTAKE_PARTITIONS": "2",
    }
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        env["KAFKA_BOOTSTRAP_SERVERS"] = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    settings = load_settings(env)
    ensure_topics(topics_for(settings).specs(), settings)

    print("raw produce of the same bytes ...", file=sys.stderr)
    raw_s, raw_n = raw_produce(settings, data)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    print("stage 1 ...", file=sys.stderr)
    p1 = ctx.Process(target=_stage1, args=(env, str(data), q))
    p1.start()
    s1 = q.get()
    p1.join()
    print("stage 2 ...", file=sys.stderr)
    p2 = ctx.Process(target=_stage2, args=(env, list(range(settings.intake_partitions)), q))
    p2.start()
    s2 = q.get()
    p2.join()
    raw_rate = raw_n / raw_s
    s1_rate = n / s1["elapsed"]
    s2_rate = s1["intake"] / s2["elapsed"]
    # Sequential: one record crosses both stages; with the stages in two processes
    # (one per core, as Airflow runs them) throughput is the slower stage's.
    e2e_seq = n / (s1["elapsed"] + s2["elapsed"])
    result = {
        "records": n,
        "raw_rate": raw_rate,
        "stage1_rate": s1_rate,
        "stage2_rate": s2_rate,
        "e2e_rate": e2e_seq,
        "pipelined_rate": min(s1_rate, s2_rate),
        "ratio": e2e_seq / raw_rate,
        "pipelined_ratio": min(s1_rate, s2_rate) / raw_rate,
        "published": s2["published"],
        "new_events": s2["new"],
        "peak_rss_mb": max(s1["rss_mb"], s2["rss_mb"]),
        "backfill_1m_s_estimate": 1_000_000 / min(s1_rate, s2_rate),
    }
    (out_dir / "e2e.json").write_text(json.dumps(result, indent=2))
    chart(result, out_dir / "e2e.png")
    print(f"records                  {n:,}")
    print(f"raw produce, same bytes  {raw_rate:,.0f} rec/s")
    print(f"stage 1                  {s1_rate:,.0f} rec/s  (validate, normalise, intake txn)")
    print(f"stage 2                  {s2_rate:,.0f} rec/s  (dedup, batch sign, publish txn)")
    print(f"end to end, sequential   {e2e_seq:,.0f} rec/s  ratio {result['ratio']:.2f} of raw")
    print(f"end to end, pipelined    {result['pipelined_rate']:,.0f} rec/s  "
          f"ratio {result['pipelined_ratio']:.2f} of raw (stages on two cores)")
    print(f"peak RSS                 {result['peak_rss_mb']:.0f} MB")
    print(f"chart                    {out_dir / 'e2e.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
