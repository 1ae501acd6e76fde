"""``mhub gateway``: serve the partner gateway, feed its queues, show their state.

    mhub gateway serve [--config gateway.toml] [--port N] [--no-feed]
    mhub gateway feed  [--config gateway.toml]        # feed once until the topics are drained
    mhub gateway stats [--db var/gateway/queue.sqlite] [--json]

``serve`` runs the HTTPS server and, on a background thread, the feeder that
fills the queues from the event topics; it writes its run summary (feed counts
and queue stats) under ``var/runs/gateway/`` every few seconds and on exit.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hub.config import load_settings
from hub.deliver.gateway.config import GatewayConfig, load_config
from hub.deliver.gateway.feed import FeedCounts, Feeder
from hub.deliver.gateway.queue import QueueStore
from hub.deliver.gateway.signing import MessageSigner
from hub.deliver.gateway.stats import queue_stats, write_run_summary, write_stats_file

log = logging.getLogger(__name__)

# The feeder polls for at most this long when the topics are quiet: new events
# reach partner queues within a second or so without spinning the CPU.
FEED_POLL_MS = 1_000
# How often a serving gateway rewrites its run summary for operators.
SUMMARY_INTERVAL_S = 10.0
# How often a serving gateway refreshes var/gateway/stats.json for ``mhub status``.
STATS_INTERVAL_S = 2.0
# After a feed error (broker away) wait this long before trying again.
FEED_RETRY_S = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve", help="serve SOAP Get/Ack over mutual TLS and feed the queues")
    serve.add_argument("--config", type=Path, help="gateway.toml (default: repo root or infra/)")
    serve.add_argument("--port", type=int, help="override [server] port (0: any free port)")
    serve.add_argument("--no-feed", action="store_true", help="serve the queues without feeding")
    feed = sub.add_parser("feed", help="feed the queues once, until the event topics are drained")
    feed.add_argument("--config", type=Path)
    stats = sub.add_parser("stats", help="per-partner queue statistics")
    stats.add_argument(
        "--db", type=Path, help="gateway database (default var/gateway/queue.sqlite)"
    )
    stats.add_argument("--json", action="store_true")


def open_store(config: GatewayConfig) -> QueueStore:
    return QueueStore(
        config.db, visibility_timeout_s=config.visibility_timeout_s, retention_s=config.retention_s,
        acked_retention_s=config.acked_retention_s,
    )


def stats_file(config: GatewayConfig) -> Path:
    """Beside the queue database: ``var/gateway/stats.json`` by default."""
    return config.db.parent / "stats.json"


def open_signer(config: GatewayConfig) -> MessageSigner:
    return MessageSigner.from_key_dir(config.keys_dir, config.key_passphrase)


def needs_kafka(args: argparse.Namespace) -> bool:
    """Feeding reads the event topics; serving alone (--no-feed) and stats do not."""
    return args.action == "feed" or (args.action == "serve" and not args.no_feed)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.action == "stats":
        return _stats(args)
    config = load_config(args.config)
    if args.action == "feed":
        return _feed_once(config)
    return _serve(config, args)


def _stats(args: argparse.Namespace) -> int:
    rows = queue_stats(args.db)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
        return 0
    print(
        f"{'partner':8} {'pending':>8} {'delivered':>9} {'acked':>8} {'expired':>8} {'oldest':>8}"
    )
    for r in rows:
        age = "-" if r.oldest_pending_age_s is None else f"{r.oldest_pending_age_s:.0f}s"
        print(
            f"{r.partner:8} {r.pending:8} {r.delivered:9} {r.acknowledged:8} {r.expired:8} {age:>8}"
        )
    return 0


def _summary(started: float, state: str, counts: FeedCounts, error: str = "") -> dict[str, Any]:
    return {
        "run_id": f"gateway-{int(started)}",
        "started_at": started,
        "state": state,
        "feed": counts.to_dict(),
        "error": error,
    }


def _feed_once(config: GatewayConfig) -> int:
    started = time.time()
    store = open_store(config)
    feeder = Feeder(config, load_settings(), store, open_signer(config))
    try:
        counts = feeder.drain()
    finally:
        feeder.close()
        store.close()
    path = write_run_summary(config.runs_dir, _summary(started, "success", counts), config.db)
    write_stats_file(stats_file(config), config.db)
    print(json.dumps(counts.to_dict()))
    print(f"summary: {path}")
    return 0


def _serve(config: GatewayConfig, args: argparse.Namespace) -> int:
    from hub.deliver.gateway.server import GatewayServer

    started = time.time()
    store = open_store(config)
    server = GatewayServer(config, store, port=args.port).start()
    stop = threading.Event()
    counts = FeedCounts()
    error = ""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"gateway listening on {server.url}", flush=True)
    feeder = None if args.no_feed else Feeder(config, load_settings(), store, open_signer(config))
    last_summary = last_stats = 0.0
    try:
        while not stop.is_set():
            if feeder is None:
                stop.wait(SUMMARY_INTERVAL_S)
            else:
                try:
                    counts.add(feeder.poll_once(FEED_POLL_MS))
                    error = ""
                except Exception as exc:  # broker away: keep serving what is queued
                    error = f"{type(exc).__name__}: {exc}"
                    log.exception("feeding failed; retrying in %.0f s", FEED_RETRY_S)
                    stop.wait(FEED_RETRY_S)
            if time.monotonic() - last_stats >= STATS_INTERVAL_S:
                write_stats_file(stats_file(config), config.db)
                last_stats = time.monotonic()
            if time.monotonic() - last_summary >= SUMMARY_INTERVAL_S:
                write_run_summary(
                    config.runs_dir, _summary(started, "running", counts, error), config.db
                )
                last_summary = time.monotonic()
    finally:
        server.stop()
        if feeder is not None:
            feeder.close()
        write_run_summary(config.runs_dir, _summary(started, "stopped", counts, error), config.db)
        write_stats_file(stats_file(config), config.db)
        store.close()
    print("gateway stopped", file=sys.stderr)
    return 0
