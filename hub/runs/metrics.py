"""Hub metrics in the Prometheus text format, the way operators already collect them.

The stages run as short Airflow task processes, so no process lives long enough
to be scraped itself. Each stage adds its counts per page or per transaction
into one small SQLite file under the var dir (atomic across processes, like
node_exporter's textfile collector); ``mhub metrics --serve`` exposes them at
``/metrics`` for Prometheus (or an OpenTelemetry collector's Prometheus
receiver), and ``mhub metrics`` prints them once.

Call from the drivers, per page or per transaction, never per record::

    metrics.records_pulled(source, n)
    metrics.records_valid(source, n)
    metrics.records_quarantined(source, rule, n)
    metrics.events_published(family, n)
    metrics.transaction_seconds("intake" | "publish", seconds)
    metrics.backlog("source", name, pages) / metrics.backlog("intake", str(partition), records)
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from hub.config import Settings, load_settings
from hub.sqlite_wal import use_wal

PREFIX = "mhub_"
# name -> (type, help). One place, so the exposition and the callers agree.
METRICS: dict[str, tuple[str, str]] = {
    "records_pulled_total": ("counter", "Records pulled from agency sources."),
    "records_valid_total": ("counter", "Records that passed validation and verification."),
    "records_quarantined_total": ("counter", "Records sent to the DLQ, by first rule."),
    "events_published_total": ("counter", "Events published, by family."),
    "transaction_seconds": ("histogram", "Kafka transaction latency, by stage."),
    "backlog": ("gauge", "What the hub has not yet taken: source pages, intake records."),
}
# Transaction latency buckets (s): a page commits in tens of ms; over 10 s is trouble.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A scrape or a stage waits this long for another process's write to the file.
DB_TIMEOUT_S = 10.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_SCHEMA = """CREATE TABLE IF NOT EXISTS sample (
    name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (name, labels)) WITHOUT ROWID"""


def metrics_file(settings: Settings | None = None) -> Path:
    return (settings or load_settings()).var_dir / "metrics" / "metrics.sqlite"


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=DB_TIMEOUT_S, isolation_level=None)
    use_wal(db)
    db.execute(_SCHEMA)
    return db


def _labels(labels: Mapping[str, str]) -> str:
    def esc(v: str) -> str:
        return str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return ",".join(f'{k}="{esc(v)}"' for k, v in sorted(labels.items()))


def add(name: str, value: float, settings: Settings | None = None, **labels: str) -> None:
    """Add ``value`` to a counter sample (created at 0)."""
    _write(name, value, labels, settings, replace=False)


def set_gauge(name: str, value: float, settings: Settings | None = None, **labels: str) -> None:
    _write(name, value, labels, settings, replace=True)


def _write(
    name: str, value: float, labels: Mapping[str, str], settings: Settings | None, *, replace: bool
) -> None:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; known: {sorted(METRICS)}")
    update = "excluded.value" if replace else "value + excluded.value"
    with closing(_connect(metrics_file(settings))) as db:
        db.execute(
            "INSERT INTO sample(name, labels, value) VALUES (?, ?, ?) "
            f"ON CONFLICT(name, labels) DO UPDATE SET value = {update}",
            (name, _labels(labels), float(value)),
        )


def records_pulled(source: str, n: int, settings: Settings | None = None) -> None:
    add("records_pulled_total", n, settings, source=source)


def records_valid(source: str, n: int, settings: Settings | None = None) -> None:
    add("records_valid_total", n, settings, source=source)


def records_quarantined(source: str, rule: str, n: int, settings: Settings | None = None) -> None:
    add("records_quarantined_total", n, settings, source=source, rule=rule)


def events_published(family: str, n: int, settings: Settings | None = None) -> None:
    add("events_published_total", n, settings, family=family)


def backlog(kind: str, key: str, n: int, settings: Settings | None = None) -> None:
    set_gauge("backlog", n, settings, kind=kind, key=key)


def transaction_seconds(stage: str, seconds: float, settings: Settings | None = None) -> None:
    """One transaction's latency into the histogram (buckets, sum, count) in one write."""
    _add_all(settings, _histogram_rows(stage, seconds))


def _histogram_rows(stage: str, seconds: float) -> list[tuple[str, dict[str, str], float]]:
    rows = [("transaction_seconds_bucket", {"stage": stage, "le": _le(b)}, 1.0)
            for b in LATENCY_BUCKETS if seconds <= b]
    return [
        *rows,
        ("transaction_seconds_bucket", {"stage": stage, "le": "+Inf"}, 1.0),
        ("transaction_seconds_sum", {"stage": stage}, seconds),
        ("transaction_seconds_count", {"stage": stage}, 1.0),
    ]


Sample = tuple[str, dict[str, str], float]


def _add_all(settings: Settings | None, rows: list[Sample], gauges: list[Sample] | None = None
             ) -> None:
    """Counters added and gauges set in ONE write: what a page or a transaction costs."""
    with closing(_connect(metrics_file(settings))) as db:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO sample(name, labels, value) VALUES (?, ?, ?) "
            "ON CONFLICT(name, labels) DO UPDATE SET value = value + excluded.value",
            [(n, _labels(lab), v) for n, lab, v in rows],
        )
        db.executemany(
            "INSERT INTO sample(name, labels, value) VALUES (?, ?, ?) "
            "ON CONFLICT(name, labels) DO UPDATE SET value = excluded.value",
            [(n, _labels(lab), v) for n, lab, v in gauges or []],
        )
        db.execute("COMMIT")


def page_committed(
    settings: Settings | None,
    source: str,
    *,
    pulled: int,
    valid: int,
    quarantined: Mapping[str, int],
    seconds: float,
) -> None:
    """Stage 1's counts of one committed page and its intake transaction's latency."""
    rows = [
        ("records_pulled_total", {"source": source}, float(pulled)),
        ("records_valid_total", {"source": source}, float(valid)),
        *(("records_quarantined_total", {"source": source, "rule": rule}, float(n))
          for rule, n in quarantined.items()),
        *_histogram_rows("intake", seconds),
    ]
    _add_all(settings, rows)


def batch_published(
    settings: Settings | None, partition: int, *, published: Mapping[str, int], seconds: float
) -> None:
    """Stage 2's events of one committed transaction and its latency."""
    rows = [
        *(("events_published_total", {"family": f}, float(n)) for f, n in published.items()),
        *_histogram_rows("publish", seconds),
    ]
    _add_all(settings, rows)


def _le(bound: float) -> str:
    return f"{bound:g}"


def render(settings: Settings | None = None) -> str:
    """The Prometheus text exposition of every sample recorded so far."""
    path = metrics_file(settings)
    samples: list[tuple[str, str, float]] = []
    if path.exists():
        with closing(_connect(path)) as db:
            samples = db.execute("SELECT name, labels, value FROM sample").fetchall()
    return "".join(_families(samples))


def _families(samples: list[tuple[str, str, float]]) -> Iterator[str]:
    for family, (kind, help_text) in METRICS.items():
        yield f"# HELP {PREFIX}{family} {help_text}\n# TYPE {PREFIX}{family} {kind}\n"
        own = [s for s in samples if s[0] == family
               or (kind == "histogram" and s[0].startswith(f"{family}_"))]
        for name, labels, value in sorted(own, key=_histogram_order):
            text = f"{value:.6f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value)}"
            yield f"{PREFIX}{name}{{{labels}}} {text}\n" if labels else f"{PREFIX}{name} {text}\n"


_LE = re.compile(r'(?:^|,)le="([^"]*)"')


def _histogram_order(sample: tuple[str, str, float]) -> tuple[str, str, float]:
    """Buckets in ascending ``le`` order (+Inf last), as Prometheus expects."""
    name, labels, _ = sample
    match = _LE.search(labels)
    le = match.group(1) if match else ""
    bound = float("inf") if le == "+Inf" else float(le) if le else 0.0
    return (name, _LE.sub("", labels), bound)


def serve(settings: Settings, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server answering ``GET /metrics``; the caller runs ``serve_forever``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404, "only /metrics here")
                return
            body = render(settings).encode()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # a scrape every 15 s is not news

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(
    settings: Settings, host: str = "127.0.0.1", port: int = 0
) -> ThreadingHTTPServer:
    server = serve(settings, host, port)
    threading.Thread(target=server.serve_forever, name="mhub-metrics", daemon=True).start()
    return server
