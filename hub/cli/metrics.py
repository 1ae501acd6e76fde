"""``mhub metrics [--serve]``: the hub's metrics in the Prometheus text format.

Without ``--serve`` it prints them once; with it, it answers ``GET /metrics`` on
``--host``/``--port`` (loopback by default) until stopped, for Prometheus or an
OpenTelemetry collector's Prometheus receiver to scrape.
"""

from __future__ import annotations

import argparse

from hub.config import load_settings
from hub.runs import metrics

# 9464 is the port OpenTelemetry's Prometheus exporter uses by convention.
DEFAULT_PORT = 9464


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--serve", action="store_true", help="serve /metrics until stopped")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 9464)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not args.serve:
        print(metrics.render(settings), end="")
        return 0
    server = metrics.serve(settings, args.host, args.port)
    print(f"serving http://{args.host}:{server.server_address[1]}/metrics", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
