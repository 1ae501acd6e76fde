"""``mhub``: the hub's command line.

Each subcommand lives in the module that owns its domain and exposes
``add_arguments(parser)`` and ``run(args) -> int``; this file only dispatches,
importing a module when its command is used so ``mhub --help`` stays fast.

Errors end here, in one handler: one line on stderr saying what is wrong and
what to do, exit status 1 (2 for usage errors); ``mhub --debug COMMAND`` shows
the traceback as well.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
import traceback
from importlib import metadata

# command -> (module, one-line help). Modules are imported only when their command runs.
COMMANDS: dict[str, tuple[str, str]] = {
    "kafka": ("hub.cli.kafka", "probe the Kafka cluster; create the hub's topics"),
    "validate": ("hub.cli.validate", "validate agency XML files against the shared contract"),
    "sdmx": ("hub.cli.sdmx", "print the observations the hub reads from an SDMX-ML message"),
    "schema-docs": ("hub.cli.schema_docs", "write the per-family contract pages from the XSDs"),
    "keys": ("hub.cli.keys", "create the development CA, hub keys and partner certificates"),
    "verify": ("hub.cli.verify", "verify an event, a batch, the audit chain or signed notices"),
    "airflow-ui": (
        "hub.cli.airflow_ui",
        "Airflow standalone (UI, scheduler) on the local defaults",
    ),
    "status": (
        "hub.reports.status", "every source's last run, freshness and backlog; partner queues"
    ),
    "tail": ("hub.cli.tail", "tail an event topic and write verified events to XML files"),
    "gateway": ("hub.cli.gateway", "serve the partner gateway (SOAP Get/Ack over mutual TLS)"),
    "report": ("hub.cli.report", "migration statistics report (HTML, PNG, CSV) for a period"),
    "sources": ("hub.cli.sources", "list the configured sources or check them all"),
    "dlq": ("hub.cli.dlq", "list and show quarantined records with their findings"),
    "events": ("hub.cli.events", "the event types the hub publishes and their topics"),
    "metrics": ("hub.cli.metrics", "the hub's metrics (Prometheus text); --serve for /metrics"),
}
# Commands that cannot do anything without Kafka: the cluster is probed first, so an
# unreachable broker costs seconds and one line, not kafka-python's 30 s and a traceback.
NEEDS_KAFKA = frozenset({"tail", "dlq"})
# Exit statuses: 1 = the command failed, 2 = it was called wrongly, 130 = Ctrl-C.
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def version() -> str:
    try:
        return metadata.version("migration-exchange-hub")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mhub",
        description="Migration Exchange Hub",
        epilog="`mhub COMMAND --help` for a command's options; --debug shows tracebacks.",
    )
    parser.add_argument("--version", action="version", version=f"mhub {version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args[:1]
    if debug:
        args = args[1:]
    if not args or args[0] in {"-h", "--help", "--version"}:
        build_parser().parse_args(args or ["--help"])  # prints, then exits 0
        return 0
    name = args[0]
    if name not in COMMANDS:
        return _unknown(name)
    try:
        return _run(name, args[1:])
    except KeyboardInterrupt:
        print("mhub: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the one place errors become a line for a person
        if debug:
            traceback.print_exc()
        print(f"mhub {name}: {describe(exc)}", file=sys.stderr)
        return EXIT_FAILED


def _unknown(name: str) -> int:
    if name.startswith("-"):
        print(f"mhub: unknown option {name!r}; see `mhub --help`", file=sys.stderr)
        return EXIT_USAGE
    close = difflib.get_close_matches(name, list(COMMANDS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    print(f"mhub: unknown command {name!r}{hint}; see `mhub --help`", file=sys.stderr)
    return EXIT_USAGE


def _run(name: str, rest: list[str]) -> int:
    from hub.config import load_settings

    settings = load_settings()  # a bad HUB_/KAFKA_ setting fails every command the same way
    module_name, help_text = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"mhub {name}: not available in this build ({module_name})", file=sys.stderr)
            return EXIT_USAGE
        raise
    parser = argparse.ArgumentParser(prog=f"mhub {name}", description=help_text)
    module.add_arguments(parser)
    parsed = parser.parse_args(rest)
    if name in NEEDS_KAFKA or getattr(module, "needs_kafka", lambda _a: False)(parsed):
        from hub.kafka.probe import probe

        probe(settings)
    return int(module.run(parsed) or 0)


def describe(exc: BaseException) -> str:
    """One line: what went wrong and, where the hub knows, what to do.

    The CLI is an edge that calls ``security`` and ``connectors``: their errors (a key
    that does not decrypt, a malformed file) are the hub's here (``hub.errors.hub_error``).
    """
    from connectors.errors import ConnectorError
    from hub.errors import HubError, hub_error
    from security.errors import SecurityError

    if isinstance(exc, ConnectorError | SecurityError):
        exc = hub_error(exc)
    if isinstance(exc, HubError):
        return _one_line(str(exc))
    from hub.kafka.errors import client_error_line

    line = client_error_line(exc)  # a client library's error that escaped the seam
    if line:
        return line
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename}"
    return f"{type(exc).__name__}: {_one_line(str(exc))} (run `mhub --debug ...` for the traceback)"


def _one_line(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "failed"
    return first[:400]


if __name__ == "__main__":
    sys.exit(main())
