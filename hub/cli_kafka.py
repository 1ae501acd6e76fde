"""``mhub kafka start|stop|status``: the local broker, for operators and developers."""

from __future__ import annotations

import argparse

from infra.kafka import broker


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["start", "stop", "status"])


def run(args: argparse.Namespace) -> int:
    return broker.main([args.action])
