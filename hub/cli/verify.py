"""``mhub verify``: check what the hub published, as an agency integrator would.

    mhub verify EVENT.xml                       the event's own XMLDSig (hub-signed) or,
                                                for an event carrying a batch proof, the
                                                proof against its batch's signed manifest:
                                                --manifest, else manifests/<batch>.xml
                                                beside it (as `mhub tail` writes), else
                                                the batches topic on Kafka
    mhub verify EVENT.xml --partner UZB         a partner document's XMLDSig
    mhub verify EVENT.xml --manifest M.xml      the event's batch proof against its manifest
    mhub verify --manifest M.xml                one batch manifest's signature
    mhub verify --chain DIR [--events DIR]      the audit chain of a directory of manifests
                                                (file-name order), and events against it
    mhub verify --kafka TOPIC [--events-topic T]  the chain as published on Kafka
                                                (read_committed, from the beginning)
    mhub verify NOTICE.xml                      a DLQ entry or identity notice (signed alone)
    mhub verify --notices TOPIC [TOPIC ...]     every DLQ entry / identity notice on Kafka

Topics are read to the end offsets taken at the start (``read_committed``: the
last stable offset), never "until a pause": a slow broker cannot make verify
pass over a prefix; a broker that moves no position for
``hub.kafka.reading.STALL_TIMEOUT_S`` fails the run.

Trust comes from ``--trust DIR`` (default ``<HUB_VAR_DIR>/pki/trust``). Prints
what was verified and which item failed with its rule; exit status 0 when all
holds, 1 when anything fails, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.config import load_settings
from hub.errors import HostileXmlError, StateError, TrustError
from hub.kafka.reading import IncompleteRead, read_to_end
from hub.keys import trust_dir
from hub.model.notices import NOTICE_NS, VerifiedNotice, verify_notice
from security.audit_chain import ChainReport, verify_chain
from security.batch_verifier import BatchVerifier
from security.errors import UnsafeXmlError, VerificationError
from security.safe_xml import parse_untrusted
from security.trust import TrustStore
from security.verifier import verify_hub_document, verify_partner_document


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("event", nargs="?", type=Path, help="an event or document file")
    parser.add_argument("--partner", help="verify EVENT as a document signed by this partner")
    parser.add_argument("--manifest", type=Path, help="a batch manifest file")
    parser.add_argument("--chain", type=Path, help="a directory of manifest files")
    parser.add_argument("--events", type=Path, help="with --chain: a directory of event files")
    parser.add_argument("--kafka", metavar="TOPIC", help="verify the chain on this topic")
    parser.add_argument("--events-topic", help="with --kafka: also verify these events")
    parser.add_argument("--notices", metavar="TOPIC", nargs="+",
                        help="verify every signed DLQ entry / identity notice on these topics")
    parser.add_argument("--trust", type=Path, help="trust store directory")


def needs_kafka(args: argparse.Namespace) -> bool:
    """Only the chain on a topic is read from Kafka; files are checked offline."""
    return bool(args.kafka or args.notices)


#: What a check that fails raises: the hub's own checks (notices, the topics read, a manifest
#: not found) and the security package's, met here where the command calls it. Each has a rule.
FAILED_CHECK = (TrustError, HostileXmlError, VerificationError, UnsafeXmlError)


def run(args: argparse.Namespace) -> int:
    try:
        trust = TrustStore.load(args.trust or trust_dir(load_settings()))
    except VerificationError as exc:
        print(f"cannot load trust store: {exc}", file=sys.stderr)
        return 2
    try:
        code = _dispatch(args, trust)
    except FAILED_CHECK as exc:
        print(f"FAIL {exc.rule}: {exc}")
        return 1
    if code is None:
        print("nothing to verify: give an EVENT file, --manifest, --chain, --kafka or --notices",
              file=sys.stderr)
        return 2
    return code


def _dispatch(args: argparse.Namespace, trust: TrustStore) -> int | None:
    """Run the check the arguments ask for; None when they ask for none."""
    if args.kafka:
        return _report(_verify_kafka(args.kafka, args.events_topic, trust))
    if args.notices:
        return _verify_notice_topics(args.notices, trust)
    if args.chain:
        manifests = [p.read_bytes() for p in _xml_files(args.chain)]
        events = [p.read_bytes() for p in _xml_files(args.events)] if args.events else []
        print(f"verifying {len(manifests)} manifests from {args.chain}")
        return _report(verify_chain(manifests, trust, events=events))
    if args.event and args.manifest:
        return _verify_event_in_batch(args.event, args.manifest, trust)
    if args.event and not args.partner and _batch_id(args.event):
        manifest = _find_manifest(args.event, _batch_id(args.event))
        return _verify_event_bytes(args.event, manifest, trust)
    if args.event and not args.partner and _is_notice(args.event):
        return _verify_notice_file(args.event, trust)
    if args.event:
        return _verify_signed(args.event, args.partner, trust)
    if args.manifest:
        return _verify_manifest(args.manifest, trust)
    return None


def _verify_signed(path: Path, partner: str | None, trust: TrustStore) -> int:
    data = path.read_bytes()
    if partner:
        doc = verify_partner_document(data, partner=partner, trust=trust)
    else:
        doc = verify_hub_document(data, trust=trust)
    when = f", signed at {doc.signing_time:%Y-%m-%dT%H:%M:%SZ}" if doc.signing_time else ""
    print(f"OK {path}: {doc.method} signature of {doc.party} key {doc.key_id} "
          f"({doc.signer}){when}")
    return 0


def _is_notice(path: Path) -> bool:
    return parse_untrusted(path.read_bytes()).tag == f"{{{NOTICE_NS}}}Notice"


def _verify_notice_file(path: Path, trust: TrustStore) -> int:
    n = verify_notice(path.read_bytes(), trust)
    print(f"OK {path}: {_describe(n)}")
    return 0


def _describe(n: VerifiedNotice) -> str:
    what = n.body.get("record_id") or n.body.get("survivor") or n.body.get("kind") or "?"
    when = f" at {n.signed_at:%Y-%m-%dT%H:%M:%SZ}" if n.signed_at else ""
    return f"{n.kind} notice ({what}) signed by hub key {n.key_id}{when}"


def _verify_notice_topics(topics: list[str], trust: TrustStore) -> int:
    """Every record of the topics must be a notice the hub signed; each failure is listed."""
    failed = total = 0
    for topic in topics:
        for partition, offset, value in read_records(topic):
            total += 1
            try:
                verify_notice(value, trust)
            except FAILED_CHECK as exc:
                failed += 1
                print(f"FAIL {exc.rule} {topic}[{partition}]@{offset}: {exc}")
    print(f"verified {total - failed} of {total} notices on {', '.join(topics)}"
          + (f": {failed} FAILED" if failed else ": OK"))
    return 1 if failed else 0


def _verify_manifest(path: Path, trust: TrustStore) -> int:
    m = BatchVerifier(trust).verify_manifest(path.read_bytes())
    print(f"OK {path}: batch {m.info.batch_id} ({m.info.chain} #{m.info.sequence}), "
          f"{m.info.count} events, root {m.info.root.hex()}, signed by {m.signer_key_id}")
    return 0


def _verify_event_in_batch(event: Path, manifest: Path, trust: TrustStore) -> int:
    return _verify_event_bytes(event, manifest.read_bytes(), trust)


def _verify_event_bytes(event: Path, manifest: bytes, trust: TrustStore) -> int:
    result = BatchVerifier(trust).verify_event(parse_untrusted(event.read_bytes()), manifest)
    print(f"OK {event}: leaf {result.index} of batch {result.batch_id} "
          f"({result.chain} #{result.sequence}), manifest signed by {result.signer_key_id}")
    return 0


def _batch_id(event: Path) -> str:
    """The batch an event's proof names, or "" when it carries no batch proof."""
    from hub.deliver.consumer.envelope import proof_batch_id, signature_element

    root = parse_untrusted(event.read_bytes())
    return "" if signature_element(root) is not None else proof_batch_id(root)


def _find_manifest(event: Path, batch_id: str) -> bytes:
    """The signed manifest of ``batch_id``: beside the event (mhub tail), else on Kafka."""
    beside = event.parent / "manifests" / f"{batch_id}.xml"
    if beside.exists():
        return beside.read_bytes()
    from hub.kafka.probe import probe
    from hub.kafka.topics import topics_for

    settings = load_settings()
    probe(settings)
    verifier_topic = topics_for(settings).batches
    for value in read_topic(verifier_topic):
        try:
            root = parse_untrusted(value)
        except UnsafeXmlError:  # a record that is no document names no batch
            continue
        if batch_id in {(e.text or "").strip() for e in root.iter("{*}BatchId")}:
            return value
    raise TrustError(f"no manifest for batch {batch_id} beside {event} nor on "
                     f"{verifier_topic}; pass --manifest", rule="batch.no-manifest")


def _report(report: ChainReport) -> int:
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


def _xml_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).iterdir() if p.suffix == ".xml")


def _verify_kafka(topic: str, events_topic: str | None, trust: TrustStore) -> ChainReport:
    manifests = read_topic(topic)
    events = read_topic(events_topic) if events_topic else []
    print(f"verifying {len(manifests)} manifests from topic {topic}"
          + (f" and {len(events)} events from {events_topic}" if events_topic else ""))
    return verify_chain(manifests, trust, events=events)


def read_topic(topic: str, **consumer_overrides: object) -> list[bytes]:
    """Every committed record value of ``topic``, partition by partition in offset order."""
    return [value for _, _, value in read_records(topic, **consumer_overrides)]


def read_records(topic: str, **consumer_overrides: object) -> list[tuple[int, int, bytes]]:
    """(partition, offset, value) of every committed record, read to the end offsets
    taken first; ``consumer_overrides`` are librdkafka settings (tests: a slow broker)."""
    try:
        return sorted((r.partition, r.offset, r.value)
                      for r in read_to_end(topic, load_settings(), **consumer_overrides))
    except IncompleteRead as exc:
        raise TrustError(str(exc), rule="verify.incomplete-read") from exc
    except StateError as exc:
        raise TrustError(str(exc), rule="verify.no-topic") from exc
