"""``mhub``: the hub's command line.

Each subcommand lives in the module that owns its domain and exposes
``add_arguments(parser)`` and ``run(args) -> int``; this file only dispatches,
importing a module when its command is used so ``mhub --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from hub.config import PROJECT_ROOT

# command -> (module, one-line help). Modules are imported only when their command runs.
COMMANDS: dict[str, tuple[str, str]] = {
    "kafka": ("hub.cli.kafka", "start, stop or inspect the local Kafka broker; create topics"),
    "validate": ("hub.cli.validate", "validate agency XML files against the shared contract"),
    "sdmx": ("hub.cli.sdmx", "print the observations the hub reads from an SDMX-ML message"),
    "schema-docs": ("hub.cli.schema_docs", "write the per-family contract pages from the XSDs"),
    "keys": ("hub.cli.keys", "create the development CA, hub keys and partner certificates"),
    "verify": ("hub.cli.verify", "verify a signed event, a batch or the whole audit chain"),
    "airflow-ui": (
        "hub.cli.airflow_ui",
        "Airflow standalone (UI, scheduler) on the local defaults",
    ),
    "status": ("hub.ops.status", "every source's last run, state and lag; partner queues"),
    "tail": ("hub.cli.tail", "tail an event topic and write verified events to XML files"),
    "gateway": ("hub.cli.gateway", "serve the partner gateway (SOAP Get/Ack over mutual TLS)"),
    "report": ("hub.cli.report", "migration statistics report (HTML, PNG, CSV) for a period"),
    "year": ("hub.cli.year", "generate a year with known totals and run it through the hub"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mhub", description="Migration Exchange Hub")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _find_checkout_tools() -> None:
    """In a checkout, make ``infra/`` (local broker, demo) importable for its commands.

    The editable install maps only the product packages, and a console script does not
    put the working directory on ``sys.path``, so ``.venv/bin/mhub kafka start`` would
    not see the checkout's ``infra/`` beside ``hub/``. Appended last, it shadows nothing.
    An installed wheel has no ``infra/`` beside ``hub/``: nothing changes there.
    """
    if (PROJECT_ROOT / "infra" / "__init__.py").is_file() and str(PROJECT_ROOT) not in sys.path:
        sys.path.append(str(PROJECT_ROOT))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"} or args[0] not in COMMANDS:
        build_parser().print_help()
        return 0 if not args or args[0] in {"-h", "--help"} else 2
    name, rest = args[0], args[1:]
    module_name, help_text = COMMANDS[name]
    _find_checkout_tools()
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"mhub {name}: not available in this build ({module_name})", file=sys.stderr)
            return 2
        if exc.name and exc.name.partition(".")[0] == "infra":
            # infra/ (local broker, demo, simulators) is not in the installed package.
            print(f"mhub {name}: a development tool; run it from a checkout of the hub",
                  file=sys.stderr)
            return 2
        raise
    parser = argparse.ArgumentParser(prog=f"mhub {name}", description=help_text)
    module.add_arguments(parser)
    return int(module.run(parser.parse_args(rest)) or 0)


if __name__ == "__main__":
    sys.exit(main())
