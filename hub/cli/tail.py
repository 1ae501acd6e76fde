"""``mhub tail``: follow event topics and write each verified event to an XML file.

    mhub tail --family border --out var/tail/border --group tail-demo

One file per event id (``<event-id>.xml``; a correction overwrites it with the
newer version). An event proven by its batch proof brings the signed manifest of
its batch along (``<out>/manifests/<batch-id>.xml``), so ``mhub verify EVENT.xml``
checks it again from the folder alone. An event that fails verification is not
written there: it goes to ``<out>/rejected/`` with the reason beside it, and a
line on stderr says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.config import load_settings
from hub.deliver.consumer.consumer import EventConsumer
from hub.deliver.consumer.model import Corroboration, HubEvent, IdentityMerge, Rejected
from hub.keys import trust_dir
from hub.model.families import EVENT_FAMILIES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--family",
        action="append",
        choices=EVENT_FAMILIES,
        required=True,
        help="event family to follow (repeatable)",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the event files")
    parser.add_argument("--group", default="mhub-tail",
                        help="consumer group (one per agency; under the production ACLs it "
                        "starts with the agency's Kafka user name and a dot, e.g. mvd.tail)")
    parser.add_argument("--trust", type=Path, help="trust store directory (default var/pki/trust)")
    parser.add_argument(
        "--state-dir", type=Path, help="consumer state (seen-set, manifests); default var/consumer"
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        help="stop after this many seconds without records (default: follow)",
    )
    parser.add_argument("--max", type=int, default=None, help="stop after this many events")


def write_event(out: Path, event: HubEvent) -> Path:
    path = out / f"{event.event_id}.xml"
    tmp = path.with_suffix(".xml.tmp")
    tmp.write_bytes(event.raw_xml)
    tmp.replace(path)  # a reader never sees half a file
    return path


MANIFESTS_DIR = "manifests"


def write_manifest(out: Path, event: HubEvent, state: object) -> Path | None:
    """The signed manifest that proved a batch-proven event, beside the events."""
    if not event.verified.startswith("batch:"):
        return None
    batch_id = event.verified.split(":", 1)[1]
    path = out / MANIFESTS_DIR / f"{batch_id}.xml"
    if path.exists():
        return path
    manifest = state.manifest(batch_id)  # type: ignore[attr-defined]
    if manifest is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xml.tmp")
    tmp.write_bytes(manifest)
    tmp.replace(path)
    return path


def write_rejected(out: Path, item: Rejected) -> Path:
    folder = out / "rejected"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{item.topic}-{item.partition}-{item.offset}"
    (folder / f"{stem}.xml").write_bytes(item.raw_xml)
    reason = f"rule: {item.rule}\nevent-id: {item.event_id or '?'}\nreason: {item.reason}\n"
    (folder / f"{stem}.reason.txt").write_text(reason, encoding="utf-8")
    return folder / f"{stem}.xml"


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    trust = args.trust or trust_dir(settings)
    state_dir = args.state_dir or settings.var_dir / "consumer"
    args.out.mkdir(parents=True, exist_ok=True)
    written = rejected = 0
    with EventConsumer(
        args.family, settings, trust, state_dir, group=args.group, idle_timeout_s=args.idle_timeout
    ) as cons:
        for item in cons.stream():
            if isinstance(item, HubEvent):
                write_event(args.out, item)
                write_manifest(args.out, item, cons.state)
                written += 1
                corr = f" corroborated by {len(item.corroborations)}" if item.corroborations else ""
                print(
                    f"{item.event_id} v{item.version} {item.type} person={item.person_id} "
                    f"verified={item.verified}{corr}",
                    flush=True,
                )
                if args.max is not None and written >= args.max:
                    cons.state.mark_seen(item.event_id, item.version)
                    break
            elif isinstance(item, Rejected):
                path = write_rejected(args.out, item)
                rejected += 1
                print(
                    f"REJECTED {item.event_id or '?'} ({item.rule}): {item.reason} -> {path}",
                    file=sys.stderr,
                    flush=True,
                )
            elif isinstance(item, Corroboration):
                print(f"{item.event_id} corroborated by {item.source}/{item.record_id}", flush=True)
            elif isinstance(item, IdentityMerge):
                print(f"merge {', '.join(item.absorbed)} -> {item.survivor}", flush=True)
        print(
            f"{written} events written to {args.out}, {rejected} rejected, "
            f"{cons.counts['duplicates']} duplicates dropped",
            flush=True,
        )
    return 0
