"""Proving a hub event authentic before anything reads it.

An event is proven either by its own enveloped XMLDSig (low volume) or by its
Merkle inclusion proof against the signed manifest of its batch (volume). The
manifest's own XMLDSig is verified against the hub's trust anchors once, when
it is fetched from the batches topic; verified manifests are cached by batch id.
A failure is a :class:`hub.errors.TrustError` naming the rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from kafka import TopicPartition
from lxml import etree
from signxml import XMLVerifier
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration

from hub.config import Settings
from hub.consumer.envelope import proof_element, read_envelope, signature_element, value
from hub.consumer.state import LRU, MANIFEST_CACHE_SIZE, ConsumerState
from hub.errors import HostileXmlError, TrustError
from hub.kafka_io import consumer
from security.safe_xml import parse_untrusted

# Manifests are committed in the same transaction as their events, so by the time
# an event is visible its manifest is too; this bounds the wait for a lagging read.
MANIFEST_FETCH_TIMEOUT_S = 30.0
MANIFEST_POLL_MS = 500
# Only SHA-2 family signatures are accepted (signxml's default already refuses SHA-1).
_EXPECT = SignatureConfiguration(require_x509=True, expect_references=1)


class HubSignatureVerifier:
    """Verifies an enveloped XMLDSig whose certificate chains to a hub trust anchor."""

    def __init__(self, ca_pem_file: Path) -> None:
        if not Path(ca_pem_file).is_file():
            raise TrustError(f"hub trust anchors not found: {ca_pem_file}", rule="trust.missing")
        self.ca_pem_file = str(ca_pem_file)

    def verify(self, data: bytes | etree._Element) -> etree._Element:
        """Return the signed element, and only that, or raise TrustError."""
        try:
            result = XMLVerifier().verify(data, ca_pem_file=self.ca_pem_file, expect_config=_EXPECT)
        except (InvalidSignature, InvalidInput) as exc:
            raise TrustError(f"signature does not verify: {exc}", rule="signature.invalid") from exc
        except Exception as exc:  # signxml surfaces chain errors from pyOpenSSL/cryptography
            raise TrustError(f"signature cannot be checked: {exc}", rule="signature.chain") from exc
        signed = result.signed_xml
        if signed is None:
            raise TrustError("signature covers nothing usable", rule="signature.invalid")
        return signed


class ManifestSource:
    """Verified batch manifests by batch id: memory LRU, then SQLite, then the batches topic."""

    def __init__(
        self,
        settings: Settings,
        topic: str,
        state: ConsumerState,
        verify: Callable[[bytes], etree._Element],
    ) -> None:
        self.settings = settings
        self.topic = topic
        self.state = state
        self._verify = verify
        self._cache = LRU(MANIFEST_CACHE_SIZE)
        self._consumer = None

    def get(self, batch_id: str) -> etree._Element:
        cached = self._cache.get(batch_id)
        if cached is not None:
            return cached  # type: ignore[return-value]
        stored = self.state.manifest(batch_id)
        if stored is None:
            self._fetch_until(batch_id)
            stored = self.state.manifest(batch_id)
        if stored is None:
            raise TrustError(f"no signed manifest for batch {batch_id}", rule="batch.no-manifest")
        # Stored manifests were verified before they were stored; parse only.
        element = parse_untrusted(stored)
        self._cache.put(batch_id, element)
        return element

    def _fetch_until(self, batch_id: str) -> None:
        """Read the batches topic forward, verifying and storing every manifest, until found."""
        cons = self._consumer
        if cons is None:
            cons = consumer(settings=self.settings)
            parts = cons.partitions_for_topic(self.topic) or set()
            tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
            cons.assign(tps)
            stored = self.state.manifest_positions()
            for tp in tps:
                if tp.partition in stored:
                    cons.seek(tp, stored[tp.partition])
                else:
                    cons.seek_to_beginning(tp)
            self._consumer = cons
        tps = list(cons.assignment())
        deadline = time.monotonic() + MANIFEST_FETCH_TIMEOUT_S
        found = False
        while not found and time.monotonic() < deadline:
            polled = cons.poll(timeout_ms=MANIFEST_POLL_MS)
            fresh: list[tuple[str, bytes]] = []
            for _tp, msgs in polled.items():
                for msg in msgs:
                    key = msg.key.decode() if msg.key else ""
                    try:
                        signed = self._verify(msg.value)
                    except (TrustError, HostileXmlError):
                        continue  # an unverifiable manifest proves nothing: leave it out
                    bid = value(signed, "batchId", "BatchId", "id") or key
                    fresh.append((bid, etree.tostring(signed)))
                    found = found or bid == batch_id
            if polled:
                self.state.store_manifests(fresh, {tp.partition: cons.position(tp) for tp in tps})
            elif not found:
                ends = cons.end_offsets(tps)
                if all(cons.position(tp) >= ends[tp] for tp in tps):
                    return

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None


class EventVerifier:
    """Turns raw event bytes into a verified element plus how it was verified."""

    def __init__(self, signatures: HubSignatureVerifier, manifests: ManifestSource | None) -> None:
        self.signatures = signatures
        self.manifests = manifests

    def verify(self, raw: bytes) -> tuple[etree._Element, str]:
        root = parse_untrusted(raw)
        if signature_element(root) is not None:
            return self.signatures.verify(raw), "signature"
        proof = proof_element(root)
        if proof is None:
            raise TrustError(
                "event carries neither a signature nor a batch proof", rule="event.unsigned"
            )
        if self.manifests is None:
            raise TrustError("batch proofs need the batches topic", rule="batch.no-manifest")
        batch_id = read_envelope(root).batch_id
        manifest = self.manifests.get(batch_id)
        from security.batch import verify_inclusion

        verified = verify_inclusion(root, manifest)
        return verified, f"batch:{batch_id}"
