"""The floor: CPU per record of the compiled libraries the record path cannot do without.

Whatever language the hub's own steps were written in, every record must still be
parsed by libxml2 and checked against its XSD, its agency record put into exclusive
C14N, hashed, and produced to Kafka twice (intake, then the event) by librdkafka in
transactions; a partner record's signature needs its public-key check. This bench
times exactly those calls (lxml and librdkafka are C, ``cryptography`` is Rust), one
process, on the records ``bench_e2e`` uses, and the local broker's CPU while it takes
those messages as fast as librdkafka sends them, and compares the sum with the CPU two
cores can give each record at the target rate.

    PYTHONPATH=$PWD .venv/bin/python bench/floor.py --records 20000

Last line: ``RESULT records=N floor_us=F broker_us=K budget_us=B floor_share=S``
(``floor_share``: the compiled calls and the broker against the budget).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import e2e_support as feeds  # noqa: E402
from bench.reporting import note  # noqa: E402
from hub.config import load_settings  # noqa: E402

# Records per transaction: one page, as stage 1 commits them.
TRANSACTION_RECORDS = 1_000
# Partner records in the bench's mix; their signature check is charged at this share.
PARTNER_SHARE = feeds.FEEDS["partner:UZB"]


def per_record(label: str, n: int, fn: Callable[[], object], repeats: int = 3) -> float:
    """Lowest CPU µs per record of ``repeats`` runs of ``fn`` over ``n`` records."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, (time.process_time() - t0) / n * 1e6)
    note(f"  {label}: {best:.1f} µs per record")
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()

    from confluent_kafka import Producer
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from lxml import etree

    from hub.intake.validate.catalog import default_catalog
    from security.safe_xml import _parser

    base = load_settings()
    data_dir = feeds.generate(base.var_dir / "bench", args.records, args.seed)
    files = feeds.record_files(data_dir)
    _env, settings = feeds.run_env(base.var_dir / "bench", data_dir, "floor", 2)
    bodies = [b for feed in ("interior", "labour") for b in feeds.read_records(files[feed])]
    n = len(bodies)
    note(f"{n:,} interior and labour records, compiled-library calls only:")
    parser = _parser()  # the hub's hardened libxml2 settings, without its Python checks
    roots = [etree.fromstring(b, parser) for b in bodies]
    catalog = default_catalog()
    schemas = [catalog.get(etree.QName(r).namespace).schema for r in roots]

    parse = per_record("libxml2 parse", n, lambda: [etree.fromstring(b, parser) for b in bodies])
    xsd = per_record("libxml2 XSD validation", n,
                     lambda: [s.validate(r) for s, r in zip(schemas, roots, strict=True)])
    c14n = per_record("exclusive C14N of the record", n,
                      lambda: [etree.tostring(r, method="c14n", exclusive=True) for r in roots])
    sha = per_record("SHA-256 (raw digest, event leaf)", n,
                     lambda: [(hashlib.sha256(b).digest(), hashlib.sha256(b).digest())
                              for b in bodies])
    from hub.kafka.topics import TopicSpec, ensure_topics

    intake, events = f"{settings.topic_prefix}floor-intake", f"{settings.topic_prefix}floor-events"
    ensure_topics([TopicSpec(intake, 2), TopicSpec(events, 2)], settings)
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "linger.ms": 5,
                         "enable.idempotence": True, "acks": "all",
                         "transactional.id": f"{settings.topic_prefix}floor"})
    producer.init_transactions(30)
    broker = feeds.BrokerCpu(settings.kafka_bootstrap)

    def produce_twice() -> None:
        """As the stages do: each record to intake and as an event, in transactions of
        one page (1,000 records), as fast as librdkafka can take them."""
        for start in range(0, n, TRANSACTION_RECORDS):
            producer.begin_transaction()
            for i in range(start, min(start + TRANSACTION_RECORDS, n)):
                key = str(i).encode()
                feeds.produce_waiting(producer, intake, bodies[i], key)
                feeds.produce_waiting(producer, events, bodies[i], key)
            producer.commit_transaction(30)

    b0, w0 = broker.seconds(), time.perf_counter()
    kafka = per_record("librdkafka transactional produce, intake + event (client side)", n,
                       produce_twice, 1)
    broker_us, rate = broker.per_record_us(b0, n), n / (time.perf_counter() - w0)
    note(f"  the broker meanwhile: {feeds.us(broker_us)} per record, at {rate:,.0f} records/s")
    key = ec.generate_private_key(ec.SECP256R1())
    signature = key.sign(bodies[0], ec.ECDSA(hashes.SHA256()))
    public = key.public_key()
    sample = bodies[:2_000]
    verify = per_record("ECDSA P-256 verify (one per partner record)", len(sample),
                        lambda: [public.verify(signature, bodies[0], ec.ECDSA(hashes.SHA256()))
                                 for _ in sample])
    floor = parse + xsd + c14n + sha + kafka + PARTNER_SHARE * verify
    budget = feeds.BUDGET_US
    print(f"floor of the compiled calls: {floor:.0f} µs per record (parse {parse:.0f}, XSD "
          f"{xsd:.0f}, C14N {c14n:.0f}, SHA-256 {sha:.0f}, librdkafka {kafka:.0f}, partner "
          f"signature {PARTNER_SHARE * verify:.0f}); two cores at {feeds.TARGET_RPS:,}/s give "
          f"{budget:.0f} µs per record to everything, the broker included")
    with_broker = floor + (broker_us or 0.0)
    if broker_us is not None:
        print(f"with the broker's CPU for the same messages at full speed ({broker_us:.0f} µs): "
              f"{with_broker:.0f} µs per record")
    print(f"RESULT records={n} floor_us={floor:.0f} broker_us="
          f"{'na' if broker_us is None else f'{broker_us:.0f}'} budget_us={budget:.0f} "
          f"floor_share={with_broker / budget:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
