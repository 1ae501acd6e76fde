"""``mhub dlq list|show``: browse the quarantine (the DLQ topic) with every finding.

    mhub dlq list [--source S] [--rule R] [--limit N]   one line per quarantined record
    mhub dlq show OFFSET [--raw]                        its findings (rule, XPath, message)
                                                        and, with --raw, the bytes the
                                                        agency sent (from the raw store)

Reads the DLQ topic ``read_committed`` from the beginning, without a consumer
group, so browsing never moves anyone's position and never shows a record of an
aborted (crashed) intake transaction.
"""

from __future__ import annotations

import argparse
import sys

from hub.config import Settings, load_settings
from hub.intake.quarantine import DlqEntry, read_dlq

# A screenful by default; the quarantine of a bad day can hold thousands.
DEFAULT_LIMIT = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    lst = sub.add_parser("list", help="one line per quarantined record, oldest first")
    lst.add_argument("--source", help="only this source")
    lst.add_argument("--rule", help="only records whose findings include this rule")
    lst.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="newest N (default 50)")
    show = sub.add_parser("show", help="one record's findings and, with --raw, its bytes")
    show.add_argument("offset", type=int, help="the offset printed by `mhub dlq list`")
    show.add_argument("--partition", type=int, default=0, help="DLQ partition (default 0)")
    show.add_argument("--raw", action="store_true", help="also print the raw document")


def _matches(item: DlqEntry, args: argparse.Namespace) -> bool:
    if args.source and item.value.get("source") != args.source:
        return False
    rules = {f.get("rule") for f in item.value.get("findings", [])}
    return not args.rule or args.rule in rules


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "list":
        items = [q for q in read_dlq(settings) if _matches(q, args)]
        print(f"{'offset':>8}  {'quarantined':16}  {'source':22} {'record':24} {'stage':9} rule")
        for item in items[-args.limit:]:
            print(item.line())
        shown = min(len(items), args.limit)
        print(f"{len(items)} quarantined records" + (f", newest {shown} shown" if shown < len(items)
                                                     else ""))
        return 0
    for item in read_dlq(settings):
        if item.partition == args.partition and item.offset == args.offset:
            _show(item, settings, raw=args.raw)
            return 0
    print(f"mhub dlq: no record at offset {args.offset} of partition {args.partition}; "
          "see `mhub dlq list`", file=sys.stderr)
    return 1


def _show(item: DlqEntry, settings: Settings, *, raw: bool) -> None:
    v = item.value
    print(f"source      {v.get('source')}\nrecord      {v.get('record_id')}\n"
          f"stage       {v.get('stage')}\norigin      {v.get('origin')}\n"
          f"raw digest  {v.get('raw_digest')}\nfindings:")
    for f in v.get("findings", []):
        where = f" at {f['xpath']}" if f.get("xpath") else ""
        column = f", column {f['column']}" if f.get("column") else ""
        line = f" (line {f['line']}{column})" if f.get("line") else ""
        print(f"  - {f.get('rule')}{where}{line}: {f.get('message')}")
    if raw and v.get("raw_digest"):
        from hub.intake.raw_store import RawStore

        store = RawStore(settings.raw_store_dir)
        try:
            body = store.get(str(v["raw_digest"]))
        finally:
            store.close()
        print("raw document:")
        print(body.decode("utf-8", errors="replace"))
