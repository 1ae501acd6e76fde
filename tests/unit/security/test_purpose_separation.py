"""Keys separated by purpose: a TLS key can never pass for a hub signer.

The attack: take a genuine batch, re-sign its manifest with the partner
gateway's TLS server key (a real certificate the hub itself issued) and offer
it to an agency. It must fail the documented ``xmlsec1`` recipe and every
verifier of the hub (security's, the batch verifier, the consumer library's).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from hub.config import load_settings
from hub.deliver.consumer.proofs import EventVerifier
from hub.deliver.consumer.state import ConsumerState
from hub.errors import TrustError
from security.batch import BatchSigner, SignedBatch
from security.batch_verifier import BatchVerifier
from security.errors import VerificationError
from security.keys import SigningKey
from security.pki import DevPki, issue_cert, new_key
from security.trust import HUB_SIGNING_CA_FILE, TrustStore
from security.verifier import verify_hub_document
from tests.support.reliability import record_outcome
from tests.support.security_kit import make_event

XMLSEC1 = shutil.which("xmlsec1")
AREA = "trust: keys by purpose"


def xmlsec_verify(path: Path, anchor: Path) -> int:
    """The documented agency recipe; returns xmlsec1's exit code."""
    return subprocess.run(
        [XMLSEC1, "--verify", "--trusted-pem", str(anchor), str(path)],  # type: ignore[list-item]
        capture_output=True, text=True, timeout=30,
    ).returncode


def tls_signed_batch(pki: DevPki, events: list[etree._Element]) -> SignedBatch:
    key, cert = pki.load_pair(pki.hub_tls_server)
    return BatchSigner(SigningKey.from_parts(key, cert), chain="p0").sign_events(events)


def with_proof(batch: SignedBatch, events: list[etree._Element]) -> list[bytes]:
    return [etree.tostring(batch.attach_proof(e, i)) for i, e in enumerate(events)]


class TestPkiLayout:
    def test_signing_and_tls_come_from_different_cas(self, pki: DevPki) -> None:
        signing_ca = x509.load_pem_x509_certificate(pki.hub_signing_ca.cert.read_bytes())
        tls_ca = x509.load_pem_x509_certificate(pki.hub_ca.cert.read_bytes())
        signer = pki.hub_signing_key().certificate
        tls = x509.load_pem_x509_certificate(pki.hub_tls_server.cert.read_bytes())
        assert signer.issuer == signing_ca.subject != tls_ca.subject == tls.issuer
        trust_files = {p.name for p in pki.trust_dir.iterdir()}
        assert HUB_SIGNING_CA_FILE in trust_files and "hub-ca.pem" not in trust_files
        anchor = (pki.trust_dir / HUB_SIGNING_CA_FILE).read_bytes()
        assert anchor == pki.hub_signing_ca.cert.read_bytes()


@pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 not installed (Debian package xmlsec1)")
class TestRecipe:
    def test_tls_resigned_manifest_fails_the_recipe(self, pki: DevPki, tmp_path: Path) -> None:
        forged = tmp_path / "forged.xml"
        forged.write_bytes(tls_signed_batch(pki, [make_event(i) for i in range(3)]).manifest_bytes)
        assert xmlsec_verify(forged, pki.trust_dir / HUB_SIGNING_CA_FILE) != 0
        # The old recipe's anchor (one CA for both purposes) is what let it through.
        assert xmlsec_verify(forged, pki.hub_ca.cert) == 0
        record_outcome(AREA, "manifest re-signed with gateway TLS key, xmlsec1 recipe",
                       "rejected (TLS certificate does not chain to hub-signing-ca.pem)")

    def test_genuine_manifest_passes_the_recipe(self, pki: DevPki, tmp_path: Path) -> None:
        batch = BatchSigner(pki.hub_signing_key(), chain="p0").sign_events([make_event()])
        path = tmp_path / "manifest.xml"
        path.write_bytes(batch.manifest_bytes)
        assert xmlsec_verify(path, pki.trust_dir / HUB_SIGNING_CA_FILE) == 0


class TestHubVerifiers:
    def test_verify_hub_document_refuses(self, pki: DevPki, trust: TrustStore) -> None:
        forged = tls_signed_batch(pki, [make_event()])
        with pytest.raises(VerificationError) as info:
            verify_hub_document(forged.manifest_bytes, trust=trust)
        assert info.value.rule == "sig.untrusted-ca"

    def test_batch_verifier_refuses_events(self, pki: DevPki, trust: TrustStore) -> None:
        events = [make_event(i) for i in range(4)]
        forged = tls_signed_batch(pki, events)
        wire = with_proof(forged, events)
        verifier = BatchVerifier(trust)
        for data in wire:
            with pytest.raises(VerificationError) as info:
                verifier.verify_event(etree.fromstring(data), forged.manifest_bytes)
            assert info.value.rule == "sig.untrusted-ca"
        record_outcome(AREA, "manifest re-signed with gateway TLS key, BatchVerifier",
                       "rejected: sig.untrusted-ca for every event of the batch")

    def test_consumer_library_refuses(
        self, pki: DevPki, trust: TrustStore, tmp_path: Path
    ) -> None:
        events = [make_event(i) for i in range(2)]
        forged = tls_signed_batch(pki, events)
        state = ConsumerState(tmp_path / "consumer.db")
        state.store_manifests([(forged.batch_id, forged.manifest_bytes)], {})
        verifier = EventVerifier(trust, load_settings(), state, "unused.batches")
        try:
            with pytest.raises(TrustError) as info:
                verifier.verify(with_proof(forged, events)[0])
            assert info.value.rule == "sig.untrusted-ca"
        finally:
            verifier.close()
            state.close()
        record_outcome(AREA, "manifest re-signed with gateway TLS key, consumer library",
                       "rejected: TrustError sig.untrusted-ca, event never handed over")

    def test_signing_ca_certificate_not_pinned_is_refused(
        self, pki: DevPki, trust: TrustStore
    ) -> None:
        """Even a certificate from the signing CA must be one of the pinned hub keys."""
        ca_key, ca_cert = pki.load_pair(pki.hub_signing_ca)
        key = new_key("ec")
        cert = issue_cert(key.public_key(), subject_cn="rogue", org="MHUB", usage="signing",
                          issuer_cert=ca_cert, issuer_key=ca_key)
        batch = BatchSigner(SigningKey.from_parts(key, cert), chain="p0").sign_events(
            [make_event()])
        with pytest.raises(VerificationError) as info:
            verify_hub_document(batch.manifest_bytes, trust=trust)
        assert info.value.rule == "sig.unknown-key"
        record_outcome(AREA, "manifest signed by unpinned certificate of the signing CA",
                       "rejected by the hub's verifiers: sig.unknown-key (certificates pinned)")

    def test_old_single_ca_pki_is_refused_clearly(self, tmp_path: Path) -> None:
        pki = DevPki.create(tmp_path / "pki", partners=[], passphrase=b"pw")
        pki.hub_signing_ca.cert.unlink()
        with pytest.raises(FileNotFoundError, match="separate signing CA"):
            DevPki.open(tmp_path / "pki", passphrase=b"pw")
