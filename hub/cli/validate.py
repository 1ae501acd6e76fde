"""``mhub validate FILE...``: check agency files against the shared contract.

A file may hold one record, or a page or batch of records in a transport
wrapper the connectors know (REST page, file-drop batch, SOAP response): each
record is validated alone, as the hub will, with the hub's limits (hardened
parser, at most 100 findings per record). Any other element where a record is
expected fails the file (``schema.unknown-record``, ``schema.unknown-namespace``).
Every finding is printed with file, line, XPath and rule; the exit code is 1
when any record fails, 2 when a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from connectors.base import raw_digest
from hub.intake.validate.validator import ValidationResult, refused, validate_records
from security.errors import UnsafeXmlError
from security.safe_xml import parse_untrusted

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="XML files: single records or pages/batches of records")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document with every record's result")
    parser.add_argument("--source", default="",
                        help="source name to put in findings (default: the file name)")


def validate_file(path: Path, source: str = "") -> list[ValidationResult]:
    """Results of every record in one file (one result with the finding if unparsable)."""
    body = path.read_bytes()
    digest = raw_digest(body)
    source = source or path.name
    try:
        root = parse_untrusted(body)
    except UnsafeXmlError as exc:
        return [refused(exc, source=source, raw_digest=digest)]
    return validate_records(root, source=source, raw_digest=digest)


def _record_json(path: Path, result: ValidationResult) -> dict[str, Any]:
    root = result.element
    return {
        "file": str(path),
        "ok": result.ok,
        "record_type": result.record_type,
        "namespace": result.namespace,
        "version": result.version,
        "record_id": root.get("recordId", "") if root is not None else "",
        "line": root.sourceline if root is not None else (
            result.findings[0].line if result.findings else None),
        "findings": [f.to_dict() for f in result.findings],
    }


def run(args: argparse.Namespace) -> int:
    report: list[dict[str, Any]] = []
    records = failed = 0
    status = EXIT_OK
    for path in args.files:
        try:
            results = validate_file(path, args.source)
        except OSError as exc:
            print(f"{path}: cannot read: {exc}", file=sys.stderr)
            status = EXIT_UNREADABLE
            continue
        for result in results:
            records += 1
            failed += not result.ok
            if args.json:
                report.append(_record_json(path, result))
                continue
            for f in result.findings:
                # path:line:column, as compilers print it (editors jump there)
                where = f"{path}:{f.line}" if f.line else str(path)
                where += f":{f.column}" if f.line and f.column else ""
                rec = f" [{f.record_id}]" if f.record_id else ""
                print(f"{where}: {f.rule} at {f.xpath or '/'}: {f.message}{rec}")
    if args.json:
        # One line per record, not indented: the output stays proportional to the findings.
        json.dump({"records": records, "invalid": failed, "results": report}, sys.stdout,
                  ensure_ascii=False, indent=None, separators=(",", ":"))
        print()
    else:
        print(f"{records} record(s) in {len(args.files)} file(s): {records - failed} valid, "
              f"{failed} invalid", file=sys.stderr)
    if status == EXIT_OK and failed:
        status = EXIT_INVALID
    return status
