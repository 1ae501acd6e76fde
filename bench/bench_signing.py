"""Signing throughput: batch (Merkle) signatures against per-event XMLDSig, one core.

Signs the same stream of ~2 KB events both ways and prints events per second
and the ratio, then the verification rates a consumer sees (per-event XMLDSig
verify against batch-proof verify, both starting from the bytes on the wire).

    python bench/bench_signing.py            # 20,000 events (batch), 1,000 (per event)
    python bench/bench_signing.py --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reporting import note, result
from security.batch import BatchSigner, event_digest
from security.batch_verifier import BatchVerifier
from security.pki import DevPki
from security.safe_xml import parse_untrusted
from security.signer import EnvelopedSigner
from security.trust import TrustStore
from security.verifier import verify_hub_document

# Stage 2 signs one batch per Kafka transaction; 1,000 events is its default size.
BATCH_SIZE = 1000


def make_event(i: int) -> bytes:
    """An event of about 2 KB, the size the design's targets assume."""
    people = "".join(
        f"<Companion><Name>Әлия Нұрланқызы {j}</Name><Birth>1990-01-0{j % 9 + 1}</Birth>"
        f"<Citizenship>UZB</Citizenship><Document>AB{i:07d}{j}</Document></Companion>"
        for j in range(12)
    )
    return (
        f'<Event xmlns="urn:kz:mhub:event:1"><EventId>ev-{i}</EventId><Type>border.entry</Type>'
        f"<Person><Iin>900102300512</Iin><Name>Тимур Қасымов</Name></Person>"
        f"<Crossing><Point>KZ-ALA-01</Point><At>2025-05-01T10:00:00Z</At></Crossing>"
        f"{people}</Event>"
    ).encode()


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--key", choices=["ec", "rsa"], default="ec")
    args = parser.parse_args()
    n_batch = 3000 if args.quick else 20000
    n_single = 200 if args.quick else 1000

    with tempfile.TemporaryDirectory() as tmp:
        pki = DevPki.create(Path(tmp) / "pki", partners=["UZB"], hub_key_type=args.key,
                            passphrase=b"bench")
        trust = TrustStore.load(pki.trust_dir)
        key = pki.hub_signing_key()
        note(f"making {n_batch:,} events ...")
        raw = [make_event(i) for i in range(n_batch)]
        events = [parse_untrusted(r) for r in raw]
        print(f"event size {len(raw[0])} bytes, key {key.method.name}, batch size {BATCH_SIZE}")

        note(f"signing {n_single:,} events with per-event XMLDSig ...")
        signer = EnvelopedSigner(key)
        t = time.perf_counter()
        signed = [etree.tostring(signer.sign(e)) for e in events[:n_single]]
        per_event = rate(n_single, time.perf_counter() - t)

        note(f"signing {n_batch:,} events in batches of {BATCH_SIZE:,} (digest, proof) ...")
        t = time.perf_counter()
        batch_signer = BatchSigner(key, chain="bench")
        wire: list[bytes] = []
        manifests: list[bytes] = []
        for start in range(0, n_batch, BATCH_SIZE):
            chunk = events[start:start + BATCH_SIZE]
            batch = batch_signer.sign_digests([event_digest(e) for e in chunk])
            for i, e in enumerate(chunk):  # serialise once, splice the proof in as bytes
                wire.append(batch.splice_proof(etree.tostring(e), i))
            manifests.append(batch.manifest_bytes)
        batched = rate(n_batch, time.perf_counter() - t)

        # cost split of the batch path, per event
        sample = events[:2000]
        t = time.perf_counter()
        for e in sample:
            event_digest(e)
        digest_us = (time.perf_counter() - t) / len(sample) * 1e6

        note(f"verifying {len(signed):,} XMLDSig events and {n_batch:,} batch proofs ...")
        t = time.perf_counter()
        for data in signed:
            verify_hub_document(data, trust=trust)
        verify_single = rate(len(signed), time.perf_counter() - t)
        verifier = BatchVerifier(trust)
        t = time.perf_counter()
        for k, data in enumerate(wire):
            verifier.verify_event(parse_untrusted(data), manifests[k // BATCH_SIZE])
        verify_batch = rate(len(wire), time.perf_counter() - t)

    print(f"sign   per-event XMLDSig : {per_event:10,.0f} events/s")
    print(f"sign   batch + proofs    : {batched:10,.0f} events/s "
          f"(event digest {digest_us:.1f} µs)")
    print(f"sign   ratio batch/per-event: {batched / per_event:6.1f}x")
    print(f"verify per-event XMLDSig : {verify_single:10,.0f} events/s")
    print(f"verify batch proof       : {verify_batch:10,.0f} events/s (parse included)")
    print(f"verify ratio batch/per-event: {verify_batch / verify_single:6.1f}x")
    result(events=n_batch, key=key.method.name, sign_per_event_eps=per_event,
           sign_batch_eps=batched, sign_ratio=batched / per_event,
           verify_per_event_eps=verify_single, verify_batch_eps=verify_batch,
           verify_ratio=verify_batch / verify_single)
    return 0


if __name__ == "__main__":
    sys.exit(main())
