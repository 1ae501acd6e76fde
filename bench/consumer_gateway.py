"""Consumer and gateway feeder throughput against the real broker, as ratios in one run.

    python bench/consumer_gateway.py [--quick] [--events N]

Publishes N batch-signed events (as stage 2 does: Merkle proof per event, one
signed manifest per batch) to a fresh topic prefix, then times on the same bytes:
  raw     kafka-python read_committed consume of the event topic (the ceiling)
  agency  EventConsumer.events(): batch-proof verification, dedup, state
  gateway Feeder.drain(): verify, rules, minimise, sign per partner message, SQLite
and prints rates and the ratios agency/raw and gateway/raw.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
import uuid
from pathlib import Path

from kafka import TopicPartition

from hub.config import load_settings
from hub.deliver.consumer import EventConsumer
from hub.deliver.gateway.config import load_config
from hub.deliver.gateway.feed import Feeder
from hub.deliver.gateway.queue import QueueStore
from hub.deliver.gateway.signing import MessageSigner
from hub.kafka.clients import consumer, producer
from hub.kafka.topics import TopicSpec, ensure_topics, topics_for
from tests.support import devpki
from tests.support import events as ev
from tests.support.fixtures import batch_records
from tests.support.partner_client import write_config

# Stage 2 signs up to 2,000 records per transaction; the same batch size here.
BATCH = 2_000


def publish(settings, pki, n: int) -> None:
    prod = producer(settings, transactional_id=f"bench-{uuid.uuid4().hex[:8]}")
    prod.init_transactions()
    for start in range(0, n, BATCH):
        events = [
            ev.border_event(ev.PEOPLE[i % len(ev.PEOPLE)], i)
            for i in range(start, min(n, start + BATCH))
        ]
        records, _ = batch_records(pki, settings, events, chain=f"p{start}")
        prod.begin_transaction()
        for topic, key, value, headers in records:
            prod.send(topic, key=key, value=value, headers=headers)
        prod.commit_transaction()
    prod.close()


def raw_rate(settings, n: int) -> float:
    topic = topics_for(settings).events("border")
    cons = consumer(settings=settings)
    tps = [TopicPartition(topic, p) for p in sorted(cons.partitions_for_topic(topic))]
    cons.assign(tps)
    cons.seek_to_beginning(*tps)
    got, t0 = 0, time.perf_counter()
    while got < n:
        for msgs in cons.poll(timeout_ms=1000).values():
            got += sum(len(m.value) > 0 for m in msgs)
    dt = time.perf_counter() - t0
    cons.close()
    return n / dt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 events")
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    n = 2_000 if args.quick else args.events
    base = load_settings()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = dataclasses.replace(
            base, topic_prefix=f"bench.{uuid.uuid4().hex[:8]}.", var_dir=tmp / "var"
        )
        t = topics_for(settings)
        ensure_topics(
            [
                TopicSpec(x, 2)
                for x in (
                    t.events("border"),
                    t.events("enforcement"),
                    t.corroborations,
                    t.identity,
                    t.batches,
                )
            ],
            settings,
        )
        pki = devpki.create(tmp, ["KGZ", "UZB"])
        t0 = time.perf_counter()
        publish(settings, pki, n)
        print(f"published {n} batch-signed events in {time.perf_counter() - t0:.1f} s")

        raw = raw_rate(settings, n)

        # Timed from the first event handed over: the group join (the broker's
        # initial rebalance delay, 3 s by default) is start-up, not throughput.
        with EventConsumer(
            ["border"], settings, pki.trust_dir, tmp / "state", group="bench", idle_timeout_s=1.0
        ) as cons:
            got, t0, t_last = 0, 0.0, 0.0
            for _event in cons.events():
                got += 1
                t_last = time.perf_counter()
                t0 = t0 or t_last
        agency = (got - 1) / (t_last - t0)
        assert got == n, got

        config = load_config(write_config(tmp, pki))
        store = QueueStore(config.db, visibility_timeout_s=60, retention_s=86_400)
        feeder = Feeder(config, settings, store, MessageSigner(pki.pki.hub_signing_key()))
        t0 = time.perf_counter()
        counts = feeder.drain(deadline_s=600)
        gateway = counts.consumed / (time.perf_counter() - t0)
        feeder.close()
        store.close()
        queued = sum(counts.queued.values())
        print(f"raw read_committed consume : {raw:10,.0f} events/s")
        print(f"agency EventConsumer       : {agency:10,.0f} events/s  ratio {agency / raw:.2f}")
        print(
            f"gateway feeder             : {gateway:10,.0f} events/s  ratio {gateway / raw:.2f}"
            f"  ({queued} partner messages signed, {queued / n:.2f} per event)"
        )


if __name__ == "__main__":
    main()
