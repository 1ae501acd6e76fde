"""Verifying batch signatures: a manifest's XMLDSig and chain link, an event's inclusion proof.

The other half of :mod:`security.batch` (which signs): what an agency or the
hub's consumer library runs to prove that an event sits in a hub-signed batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from security.batch import (
    PROOF_TAG,
    Manifest,
    ProofData,
    event_digest,
    manifest_digest,
)
from security.errors import ProofError, SignatureError
from security.safe_xml import parse_untrusted
from security.trust import TrustStore
from security.verifier import verify_hub_document


@dataclass(frozen=True, slots=True)
class VerifiedManifest:
    info: Manifest
    signer_key_id: str
    digest: bytes  # manifest_digest of the verified manifest


@dataclass(frozen=True, slots=True)
class VerifiedEvent:
    """An event proven to be in a hub-signed batch."""

    batch_id: str
    chain: str
    sequence: int
    index: int
    digest: bytes
    signer_key_id: str


class BatchVerifier:
    """Verifies manifests once (cached by digest) and events against them.

    A manifest's XMLDSig costs ~1 ms; each event then costs its C14N, one
    SHA-256 and ``log2(batch size)`` hashes.
    """

    def __init__(self, trust: TrustStore) -> None:
        self.trust = trust
        self._verified: dict[bytes, VerifiedManifest] = {}

    def verify_manifest(self, manifest: etree._Element | bytes) -> VerifiedManifest:
        if isinstance(manifest, bytes):
            manifest = parse_untrusted(manifest)
        digest = manifest_digest(manifest)  # over the whole signed manifest, signature included
        cached = self._verified.get(digest)
        if cached is not None:
            return cached
        doc = verify_hub_document(manifest, trust=self.trust)
        info = Manifest.from_element(doc.element)  # only the signed XML is read
        if info.key_id != doc.key_id:
            raise SignatureError(
                f"manifest names key {info.key_id} but is signed by {doc.key_id}",
                rule="manifest.key-mismatch", batch_id=info.batch_id,
            )
        verified = VerifiedManifest(info, doc.key_id, digest)
        self._verified[digest] = verified
        return verified

    def verify_event(
        self, event: etree._Element, manifest: etree._Element | bytes
    ) -> VerifiedEvent:
        m = self.verify_manifest(manifest)
        info = m.info
        proof_el = event.find(PROOF_TAG)
        if proof_el is None:
            raise ProofError("event carries no batch proof", rule="proof.missing",
                             batch_id=info.batch_id)
        data = ProofData.from_element(proof_el)
        if (data.batch_id, data.chain, data.sequence) != (info.batch_id, info.chain,
                                                           info.sequence):
            raise ProofError(
                f"proof is for batch {data.batch_id} ({data.chain}#{data.sequence}), "
                f"manifest is {info.batch_id} ({info.chain}#{info.sequence})",
                rule="proof.wrong-batch", batch_id=info.batch_id,
            )
        proof = data.proof
        if proof.count != info.count or proof.digest != info.digest_method:
            raise ProofError(
                f"proof claims {proof.count} leaves/{proof.digest}, "
                f"manifest has {info.count}/{info.digest_method}",
                rule="proof.invalid", batch_id=info.batch_id, position=proof.index,
            )
        try:
            leaf = event_digest(event, info.digest_method)
        except ValueError as exc:
            raise ProofError(f"digest {info.digest_method} unknown", rule="proof.malformed",
                             batch_id=info.batch_id) from exc
        if not proof.verifies(leaf, info.root):
            raise ProofError(
                f"event (leaf {proof.index}) does not match batch {info.batch_id}'s signed "
                "root: the event or its proof was altered",
                rule="proof.invalid", batch_id=info.batch_id, position=proof.index,
            )
        return VerifiedEvent(info.batch_id, info.chain, info.sequence, proof.index, leaf,
                             m.signer_key_id)


def verify_event_in_batch(
    event: etree._Element, manifest: etree._Element | bytes, trust: TrustStore
) -> VerifiedEvent:
    """Verify one event against its batch manifest; raises ``VerificationError(rule=...)``."""
    return BatchVerifier(trust).verify_event(event, manifest)


__all__ = ["BatchVerifier", "VerifiedEvent", "VerifiedManifest", "verify_event_in_batch"]
