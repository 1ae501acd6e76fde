"""Consumer and gateway feeder throughput against the real broker, as ratios in one run.

    python bench/consumer_gateway.py [--quick] [--events N]

Publishes N batch-signed events (as stage 2 does: Merkle proof per event, one
signed manifest per batch) to a fresh topic prefix, then times on the same bytes:
  raw     kafka-python read_committed consume of the event topic (the ceiling)
  agency  EventConsumer.events(): batch-proof verification, dedup, state
  gateway Feeder.poll_once() until all are read: verify, rules, minimise, sign
          per partner message, SQLite (the loop of Feeder.drain)
and prints rates and the ratios agency/raw and gateway/raw, ending with a
``RESULT`` line.

Start-up is counted the same way on all three sides: not at all. Each rate is
the records completed after the side's first record was completed, over the
time from that moment to its last record (a consumer that hands over a poll of
500 at once counts 500 at its first instant; one that hands over records one by
one counts one). Consumer construction, metadata, the group join (the broker's
initial rebalance delay, 3 s by default, for the agency's consumer group) and
the first fetch are all outside the window on every side; each side's start-up
(construction to first record) is printed beside it so it is not hidden.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import TopicPartition

from bench.reporting import Ticker, note, result
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
# Seconds a side may take to read every event before the bench gives up.
READ_DEADLINE_S = 600
# Events of --quick: raw consumption reads 2,000 events in about 0.1 s, a window one
# scheduler stall on a shared 2-core machine can inflate tenfold; 10,000 keeps the
# raw window near half a second while the gateway side stays under a minute.
QUICK_EVENTS = 10_000
# A window shorter than this is printed with a warning: too short to trust.
MIN_WINDOW_S = 0.3


@dataclasses.dataclass
class Window:
    """The measuring window of one side: from its first completed record to its last."""

    label: str
    total: int
    created: float = dataclasses.field(default_factory=time.perf_counter)
    first: float = 0.0
    at_first: int = 0
    last: float = 0.0
    done: int = 0

    def __post_init__(self) -> None:
        self._ticker = Ticker(self.label, self.total)

    def completed(self, count: int) -> None:
        now = time.perf_counter()
        self.done += count
        if not self.first:
            self.first, self.at_first = now, self.done
        self.last = now
        self._ticker.tick(self.done)

    @property
    def rate(self) -> float:
        return (self.done - self.at_first) / (self.last - self.first)

    @property
    def window_s(self) -> float:
        return self.last - self.first

    @property
    def startup_s(self) -> float:
        return self.first - self.created


def publish(settings, pki, n: int) -> None:
    prod = producer(settings, transactional_id=f"bench-{uuid.uuid4().hex[:8]}")
    prod.init_transactions()
    ticker = Ticker("published", n)
    for start in range(0, n, BATCH):
        ticker.tick(start)
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


def raw_side(settings, n: int) -> Window:
    """kafka-python read_committed consumption of the event topic: the ceiling."""
    win = Window("raw", n)
    topic = topics_for(settings).events("border")
    cons = consumer(settings=settings)
    tps = [TopicPartition(topic, p) for p in sorted(cons.partitions_for_topic(topic))]
    cons.assign(tps)
    cons.seek_to_beginning(*tps)
    deadline = time.monotonic() + READ_DEADLINE_S
    while win.done < n and time.monotonic() < deadline:
        got = sum(sum(len(m.value) > 0 for m in msgs)
                  for msgs in cons.poll(timeout_ms=1000).values())
        if got:
            win.completed(got)
    cons.close()
    return win


def agency_side(settings, pki, state: Path, n: int) -> Window:
    """The agency library: batch-proof verification, dedup, state, one event at a time."""
    win = Window("agency", n)
    with EventConsumer(
        ["border"], settings, pki.trust_dir, state, group="bench", idle_timeout_s=1.0
    ) as cons:
        for _event in cons.events():
            win.completed(1)
    return win


def gateway_side(settings, pki, tmp: Path, n: int) -> tuple[Window, int]:
    """The gateway feeder, polled as Feeder.drain polls it, until every event is read."""
    win = Window("gateway", n)
    config = load_config(write_config(tmp, pki))
    store = QueueStore(config.db, visibility_timeout_s=60, retention_s=86_400)
    feeder = Feeder(config, settings, store, MessageSigner(pki.pki.hub_signing_key()))
    queued = 0
    deadline = time.monotonic() + READ_DEADLINE_S
    while win.done < n and time.monotonic() < deadline:
        counts = feeder.poll_once()
        if counts.consumed:
            win.completed(counts.consumed)
            queued += sum(counts.queued.values())
    feeder.close()
    store.close()
    return win, queued


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_EVENTS:,} events")
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    n = QUICK_EVENTS if args.quick else args.events
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
        note(f"publishing {n:,} batch-signed events ...")
        t0 = time.perf_counter()
        publish(settings, pki, n)
        print(f"published {n} batch-signed events in {time.perf_counter() - t0:.1f} s")
        note("raw read_committed consume ...")
        raw = raw_side(settings, n)
        note("agency EventConsumer ...")
        agency = agency_side(settings, pki, tmp / "state", n)
        note("gateway feeder ...")
        gateway, queued = gateway_side(settings, pki, tmp, n)
    for win in (raw, agency, gateway):
        if win.done != n:
            print(f"FAIL: {win.label} read {win.done} of {n} events", file=sys.stderr)
            return 1
    print("rates from each side's first completed record to its last (start-up outside, all)")
    for win in (raw, agency, gateway):
        warn = "  (too short to trust: use --events)" if win.window_s < MIN_WINDOW_S else ""
        print(f"  window {win.label:<8} {win.window_s:7.2f} s{warn}")
    print(f"raw read_committed consume : {raw.rate:10,.0f} events/s  "
          f"(start-up {raw.startup_s:.2f} s)")
    print(f"agency EventConsumer       : {agency.rate:10,.0f} events/s  "
          f"ratio {agency.rate / raw.rate:.2f}  (start-up {agency.startup_s:.2f} s, group join)")
    print(f"gateway feeder             : {gateway.rate:10,.0f} events/s  "
          f"ratio {gateway.rate / raw.rate:.2f}  (start-up {gateway.startup_s:.2f} s)"
          f"  ({queued} partner messages signed, {queued / n:.2f} per event)")
    result(events=n, raw_rps=raw.rate, agency_rps=agency.rate, gateway_rps=gateway.rate,
           agency_ratio=agency.rate / raw.rate, gateway_ratio=gateway.rate / raw.rate,
           startup_counted=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
