"""The parts of bench_e2e that are not the hub: generated feeds, baselines, the naive path."""

from __future__ import annotations

import json
import os
import resource
import struct
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connectors.base import Page, Position, RawRecord, SourceConnector
from hub.config import Settings, load_settings
from hub.kafka.clients import producer
from hub.kafka.topics import TopicSpec, ensure_topics, topics_for
from hub.sources import SourceConfig

#: feed -> share of the records: the interior ministry's volume, the labour
#: ministry's, and a signed CIS partner feed (its signature checks are timed).
FEEDS = {"interior": 0.60, "labour": 0.35, "partner:UZB": 0.05}
# The throughput target and the machine it is set for: two cores give 2,000,000 µs of CPU
# each second, so at the target rate every record may cost all processes together
# BUDGET_US, the broker's share included.
TARGET_RPS = 20_000
CORES = 2
BUDGET_US = CORES * 1e6 / TARGET_RPS
# The naive path is ~100x slower: a sample keeps the run short.
NAIVE_SAMPLE = 300
_LEN = struct.Struct(">I")


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM): ru_maxrss of a spawned child starts at its
    parent's peak on Linux, which would charge the parent's memory to every stage."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _file(data_dir: Path, feed: str) -> Path:
    return data_dir / (feed.replace(":", "-") + ".bin")


def run_env(
    out_dir: Path, data_dir: Path, kind: str, partitions: int
) -> tuple[dict[str, str], Settings]:
    """The hub environment and settings of one bench run: its own var dir (the data's PKI
    linked in) and topic prefix, on the broker ``KAFKA_BOOTSTRAP_SERVERS`` names or the
    local one; the topics are created."""
    run_dir = out_dir / f"{kind}-{uuid.uuid4().hex[:8]}"
    run_dir.mkdir(parents=True)
    (run_dir / "pki").symlink_to(data_dir / "pki", target_is_directory=True)
    env = {"HUB_VAR_DIR": str(run_dir), "HUB_TOPIC_PREFIX": f"bench.{run_dir.name}.",
           "HUB_INTAKE_PARTITIONS": str(partitions)}
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        env["KAFKA_BOOTSTRAP_SERVERS"] = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    settings = load_settings(env)
    ensure_topics(topics_for(settings).specs(), settings)
    return env, settings


def record_files(data_dir: Path) -> dict[str, Path]:
    return {feed: _file(data_dir, feed) for feed in FEEDS}


def generate(out_dir: Path, n: int, seed: int) -> Path:
    """Write every feed's records, length-prefixed, once per (n, seed); partner ones signed."""
    from infra.agencies.generator import Generator, GeneratorConfig
    from infra.agencies.signing import partner_signer
    from security.pki import DevPki

    data_dir = out_dir / f"data-{n}-{seed}"
    stamp = data_dir / "done.json"
    if stamp.exists():
        return data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    pki = DevPki.create(data_dir / "pki")
    sign = partner_signer(pki)
    gen = Generator(GeneratorConfig(seed=seed, population=max(1_000, n // 3)))
    t0 = time.monotonic()
    done = 0
    for feed, share in FEEDS.items():
        count = round(n * share) if feed != list(FEEDS)[-1] else n - done
        with _file(data_dir, feed).open("wb") as out:
            for i in range(count):
                body = gen.record(feed, i)
                if feed.startswith("partner:"):
                    body = sign(feed.split(":", 1)[1], body)
                out.write(_LEN.pack(len(body)) + body)
                done += 1
                if done % 50_000 == 0:
                    rate = done / (time.monotonic() - t0)
                    print(f"  generated {done:,}/{n:,} ({rate:,.0f}/s)", file=sys.stderr)
    stamp.write_text(json.dumps({"n": n, "seed": seed, "feeds": FEEDS}))
    return data_dir


def read_records(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while head := f.read(4):
            yield f.read(_LEN.unpack(head)[0])


def source_for(feed: str, page_records: int, pages_per_run: int) -> SourceConfig:
    family = "partner" if feed.startswith("partner:") else feed
    options = {"state": feed.split(":", 1)[1]} if family == "partner" else {}
    return SourceConfig(
        name=f"bench-{feed.replace(':', '-').lower()}",
        family=family,
        endpoint="file://bench",
        owner="bench@example.kz",
        batch_size=page_records,
        max_pages=pages_per_run,
        options=options,
    )


class FileConnector(SourceConnector):
    """Pages over a generated file; position = records consumed (the hub stores it)."""

    def __init__(self, source: str, path: Path, page_records: int) -> None:
        super().__init__(source)
        self.path = path
        self.page_records = page_records
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
            records.append(RawRecord(self.source, f"{self.source}-{self._offset}", body))
            self._offset += 1
            if len(records) == self.page_records:
                break
        exhausted = len(records) < self.page_records
        return Page(records, {"offset": self._offset}, exhausted=exhausted)


class BrokerCpu:
    """CPU seconds (user + system, all threads) of the broker process behind a local
    bootstrap address, found by its listening port; ``None`` when the broker is not a
    process of this machine (a remote cluster: its CPU is not ours to read)."""

    def __init__(self, bootstrap: str) -> None:
        import psutil

        self._proc: psutil.Process | None = None
        host, _, port = bootstrap.split(",")[0].rpartition(":")
        if host not in ("127.0.0.1", "localhost", "::1", "[::1]") or not port.isdigit():
            return
        for conn in psutil.net_connections(kind="tcp"):
            if (conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == int(port)
                    and conn.pid):
                self._proc = psutil.Process(conn.pid)
                return

    def seconds(self) -> float | None:
        if self._proc is None:
            return None
        t = self._proc.cpu_times()
        return t.user + t.system

    def per_record_us(self, since: float | None, records: int) -> float | None:
        """The broker's CPU µs per record from ``since`` (a :meth:`seconds`) to now."""
        now = self.seconds()
        return None if since is None or now is None else 1e6 * (now - since) / records


def us(value: float | None) -> str:
    """A CPU figure of the broker as printed: µs, or why there is none."""
    return "not local" if value is None else f"{value:.0f} µs"


def produce_waiting(producer: Any, topic: str, value: bytes, key: bytes) -> None:
    """librdkafka's produce, waiting for room when its local queue is full."""
    while True:
        try:
            producer.produce(topic, value, key=key)
            return
        except BufferError:
            producer.poll(0.05)


def raw_rates(settings: Settings, paths: list[Path]) -> dict[str, float]:
    """Records/s of sending the same bytes with each client (idempotent, acks=all), and
    the CPU per record of kafka-python's run: the client's (its sender thread included)
    and the broker's (when it is a local process)."""
    from confluent_kafka import Producer

    topic = f"{settings.topic_prefix}raw-baseline"
    ensure_topics([TopicSpec(topic, settings.intake_partitions)], settings)
    out: dict[str, float] = {}
    broker = BrokerCpu(settings.kafka_bootstrap)
    prod = producer(settings)
    n, t0, c0, b0 = 0, time.perf_counter(), cpu_s(), broker.seconds()
    for path in paths:
        for body in read_records(path):
            prod.send(topic, key=str(n).encode(), value=body)
            n += 1
    prod.flush()
    out["kafka_python"] = n / (time.perf_counter() - t0)
    out["kafka_python_client_cpu_us"] = 1e6 * (cpu_s() - c0) / n
    broker_us = broker.per_record_us(b0, n)
    if broker_us is not None:
        out["kafka_python_broker_cpu_us"] = broker_us
    prod.close()
    rd = Producer({"bootstrap.servers": settings.kafka_bootstrap, "enable.idempotence": True,
                   "acks": "all", "linger.ms": 5})
    n, t0 = 0, time.perf_counter()
    for path in paths:
        for body in read_records(path):
            produce_waiting(rd, topic, body, str(n).encode())
            n += 1
            if n % 1000 == 0:
                rd.poll(0)
    rd.flush()
    out["librdkafka"] = n / (time.perf_counter() - t0)
    return out


def naive_rate(settings: Settings, files: dict[str, Path], data_dir: Path) -> float:
    """Records/s of the naive path: xmlschema per record, XMLDSig per record, one send each."""
    import xmlschema
    from lxml import etree

    from hub.intake.validate.catalog import default_catalog
    from security.pki import DevPki
    from security.signer import EnvelopedSigner

    sample = [b for _, b in zip(range(NAIVE_SAMPLE), read_records(files["interior"]), strict=False)]
    catalog = default_catalog()
    schemas: dict[str, xmlschema.XMLSchema10] = {}
    signer = EnvelopedSigner(DevPki.open(data_dir / "pki").hub_signing_key())
    topic = f"{settings.topic_prefix}raw-baseline"
    prod = producer(settings)
    t0 = time.perf_counter()
    for body in sample:
        ns = etree.QName(etree.fromstring(body)).namespace or ""
        schema = schemas.get(ns)
        if schema is None:
            schema = schemas[ns] = xmlschema.XMLSchema10(str(catalog.get(ns).path), allow="local")
        schema.is_valid(body.decode())
        signed = signer.sign_bytes(etree.fromstring(body))
        prod.send(topic, value=signed)
    prod.flush()
    elapsed = time.perf_counter() - t0
    prod.close()
    return len(sample) / elapsed
