"""Batch signatures: each event verifies alone with its manifest; tampering is caught."""

from __future__ import annotations

import hashlib

import pytest
from lxml import etree

from security.batch import (
    GENESIS_DIGEST,
    PROOF_TAG,
    BatchSigner,
    ChainHead,
    Manifest,
    _manifest_element,
    canonical,
    event_digest,
    manifest_digest,
)
from security.batch_verifier import BatchVerifier, verify_event_in_batch
from security.errors import MerkleUsageError, VerificationError
from security.keys import SigningKey
from security.signer import EnvelopedSigner
from security.trust import TrustStore
from tests.support.security_kit import EVENT_NS, make_event

P = "{urn:kz:mhub:proof:1}"


def published(batch, events) -> list[bytes]:
    """Attach proofs and serialise, as the publisher puts events on the wire."""
    out = []
    for i, event in enumerate(events):
        batch.attach_proof(event, i)
        out.append(etree.tostring(event, encoding="UTF-8"))
    return out


def rule_of(event, manifest, trust) -> str:
    with pytest.raises(VerificationError) as info:
        verify_event_in_batch(event, manifest, trust)
    return info.value.rule


@pytest.fixture
def signer(pki) -> BatchSigner:
    return BatchSigner(pki.hub_signing_key(), chain="intake-0")


class TestEventDigest:
    def test_definition(self) -> None:
        event = make_event()
        expected = hashlib.sha256(
            etree.tostring(event, method="c14n", exclusive=True, with_comments=False)
        ).digest()
        assert event_digest(event) == expected

    def test_proof_is_excluded_and_put_back(self, signer) -> None:
        event = make_event()
        before = event_digest(event)
        batch = signer.sign_events([event])
        batch.attach_proof(event, 0)
        assert event[-1].tag == PROOF_TAG
        assert event_digest(event) == before
        assert event[-1].tag == PROOF_TAG  # the event is left as it was

    def test_independent_of_embedding(self) -> None:
        event = make_event()
        envelope = etree.fromstring(
            '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:x="urn:other"><soap:Body/></soap:Envelope>'
        )
        envelope[0].append(etree.fromstring(etree.tostring(event)))
        assert event_digest(envelope[0][0]) == event_digest(event)

    def test_comments_are_not_signed_content(self) -> None:
        event = make_event()
        with_comment = etree.fromstring(etree.tostring(event).replace(
            b"<Type>", b"<!-- note --><Type>"))
        assert event_digest(with_comment) == event_digest(event)


class TestSignAndVerify:
    @pytest.mark.parametrize("size", [1, 2, 7, 33])
    def test_each_event_verifies_alone(self, signer, trust, size) -> None:
        events = [make_event(i) for i in range(size)]
        batch = signer.sign_events(events)
        wire = published(batch, events)
        for i, data in enumerate(wire):
            event = etree.fromstring(data)  # a consumer's fresh parse, one event only
            result = verify_event_in_batch(event, batch.manifest_bytes, trust)
            assert (result.index, result.batch_id) == (i, batch.batch_id)

    def test_manifest_fields(self, signer, pki) -> None:
        batch = signer.sign_events([make_event(i) for i in range(3)])
        info = Manifest.from_element(batch.manifest)
        assert info.count == 3 and info.sequence == 0 and info.chain == "intake-0"
        assert info.key_id == pki.hub_keys.active_id()
        assert info.previous_digest == GENESIS_DIGEST
        assert info.root == batch.tree.root

    def test_chain_head_links_batches(self, signer) -> None:
        first = signer.sign_events([make_event(1)])
        second = signer.sign_events([make_event(2)])
        info = Manifest.from_element(second.manifest)
        assert info.sequence == 1
        assert info.previous_digest == manifest_digest(first.manifest)
        assert ChainHead.after(second.manifest) == signer.head

    def test_resume_from_published_manifest(self, pki) -> None:
        first = BatchSigner(pki.hub_signing_key(), chain="p1").sign_events([make_event()])
        parsed = etree.fromstring(first.manifest_bytes)
        resumed = BatchSigner(pki.hub_signing_key(), chain="p1", head=ChainHead.after(parsed))
        nxt = Manifest.from_element(resumed.sign_events([make_event(2)]).manifest)
        assert nxt.sequence == 1 and nxt.previous_digest == manifest_digest(first.manifest)

    def test_sign_digests_matches_sign_events(self, pki) -> None:
        events = [make_event(i) for i in range(4)]
        a = BatchSigner(pki.hub_signing_key(), chain="a").sign_events(events)
        b = BatchSigner(pki.hub_signing_key(), chain="a").sign_digests(
            [event_digest(e) for e in events])
        assert a.tree.root == b.tree.root

    def test_empty_batch_is_refused(self, signer) -> None:
        with pytest.raises(MerkleUsageError):
            signer.sign_events([])

    def test_old_key_batches_verify_after_rotation(self, fresh_pki) -> None:
        events = [make_event(i) for i in range(3)]
        old = BatchSigner(fresh_pki.hub_signing_key(), chain="r").sign_events(events)
        wire = published(old, events)
        fresh_pki.rotate_hub_key()
        trust = TrustStore.load(fresh_pki.trust_dir)
        for data in wire:
            assert verify_event_in_batch(etree.fromstring(data), old.manifest, trust)

    def test_verifier_checks_manifest_once(self, signer, trust) -> None:
        events = [make_event(i) for i in range(5)]
        batch = signer.sign_events(events)
        published(batch, events)
        verifier = BatchVerifier(trust)
        for event in events:
            verifier.verify_event(event, batch.manifest)
        assert len(verifier._verified) == 1


class TestTampering:
    def test_altered_event(self, signer, trust) -> None:
        events = [make_event(i) for i in range(6)]
        batch = signer.sign_events(events)
        wire = published(batch, events)
        event = etree.fromstring(wire[4].replace(b"border.entry", b"border.exit"))
        assert rule_of(event, batch.manifest, trust) == "proof.invalid"

    def test_altered_sibling(self, signer, trust) -> None:
        events = [make_event(i) for i in range(6)]
        batch = signer.sign_events(events)
        event = etree.fromstring(published(batch, events)[2])
        sib = event.find(f"{P}BatchProof/{P}Path/{P}Sibling")
        sib.text = "00" * 32
        assert rule_of(event, batch.manifest, trust) == "proof.invalid"

    def test_moved_leaf_index(self, signer, trust) -> None:
        events = [make_event(i) for i in range(6)]
        batch = signer.sign_events(events)
        event = etree.fromstring(published(batch, events)[2])
        event.find(f"{P}BatchProof/{P}LeafIndex").text = "3"
        assert rule_of(event, batch.manifest, trust) == "proof.invalid"

    def test_proof_of_another_event(self, signer, trust) -> None:
        events = [make_event(i) for i in range(6)]
        batch = signer.sign_events(events)
        wire = [etree.fromstring(w) for w in published(batch, events)]
        wire[1].remove(wire[1].find(PROOF_TAG))
        wire[1].append(wire[2].find(PROOF_TAG))
        assert rule_of(wire[1], batch.manifest, trust) == "proof.invalid"

    def test_event_against_another_batch(self, signer, trust) -> None:
        first_events = [make_event(i) for i in range(3)]
        first = signer.sign_events(first_events)
        published(first, first_events)
        second = signer.sign_events([make_event(9)])
        assert rule_of(first_events[0], second.manifest, trust) == "proof.wrong-batch"

    def test_missing_proof(self, signer, trust) -> None:
        batch = signer.sign_events([make_event()])
        assert rule_of(make_event(), batch.manifest, trust) == "proof.missing"

    def test_altered_manifest_root(self, signer, trust) -> None:
        events = [make_event(i) for i in range(4)]
        batch = signer.sign_events(events)
        published(batch, events)
        forged = batch.manifest_bytes.replace(batch.tree.root.hex().encode(), b"ab" * 32)
        assert rule_of(events[0], forged, trust) == "sig.invalid"

    def test_manifest_signed_by_partner(self, pki, trust) -> None:
        events = [make_event(i) for i in range(2)]
        forged = BatchSigner(pki.partner_signing_key("UZB"), chain="intake-0").sign_events(events)
        published(forged, events)
        assert rule_of(events[0], forged.manifest, trust) == "sig.wrong-partner"

    def test_manifest_key_id_must_match_signer(self, pki, signer, trust) -> None:
        batch = signer.sign_events([make_event()])
        info = Manifest.from_element(batch.manifest)
        lying = _manifest_element(Manifest(**{
            **{f: getattr(info, f) for f in Manifest.__slots__}, "key_id": "k-0000000000000000"}))
        signed = EnvelopedSigner(pki.hub_signing_key()).sign(lying)
        event = make_event()
        batch.attach_proof(event, 0)
        assert rule_of(event, signed, trust) == "manifest.key-mismatch"

    def test_unsigned_manifest(self, signer, trust) -> None:
        events = [make_event()]
        batch = signer.sign_events(events)
        published(batch, events)
        bare = etree.fromstring(batch.manifest_bytes)
        bare.remove(bare[-1])
        assert rule_of(events[0], bare, trust) == "sig.missing"


def test_canonical_is_exclusive_c14n() -> None:
    event = make_event()
    assert canonical(event).startswith(f'<Event xmlns="{EVENT_NS}">'.encode())


def test_signing_key_must_match_certificate(pki) -> None:
    key, _ = pki.load_pair(pki.partners["UZB"].signing)
    with pytest.raises(Exception, match="does not match"):
        SigningKey.from_parts(key, pki.hub_signing_key().certificate)


class TestSplice:
    def test_spliced_bytes_verify_and_equal_the_element_path(self, signer, trust) -> None:
        events = [make_event(i) for i in range(5)]
        batch = signer.sign_events(events)
        for i, event in enumerate(events):
            spliced = batch.splice_proof(etree.tostring(event), i)
            assert verify_event_in_batch(etree.fromstring(spliced), batch.manifest, trust)
            batch.attach_proof(event, i)
            assert spliced == etree.tostring(event)

    def test_splice_needs_an_end_tag(self, signer) -> None:
        batch = signer.sign_events([make_event()])
        with pytest.raises(ValueError):
            batch.splice_proof(b"<Event/>", 0)
