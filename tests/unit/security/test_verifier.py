"""Per-event signing and inbound verification: every failure has its rule."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml import XMLSigner

from security.errors import VerificationError
from security.keys import SigningKey
from security.pki import DevPki, issue_cert, new_ca, new_key
from security.signer import EnvelopedSigner
from security.trust import TrustStore
from security.verifier import check_partner_document, verify_hub_document, verify_partner_document
from tests.support.security_kit import EVENT_NS, make_event

DS = "{http://www.w3.org/2000/09/xmldsig#}"
UTC = dt.UTC


def partner_signed(pki: DevPki, code: str = "UZB", event: etree._Element | None = None) -> bytes:
    doc = event if event is not None else make_event()
    return EnvelopedSigner(pki.partner_signing_key(code)).sign_bytes(doc)


def rule_of(data, *, partner: str, trust: TrustStore) -> str:
    with pytest.raises(VerificationError) as info:
        verify_partner_document(data, partner=partner, trust=trust)
    return info.value.rule


def key_with(pki: DevPki, code: str = "UZB", **cert_args) -> SigningKey:
    key, cert = pki.issue_partner_signing_cert(code, **cert_args)
    return SigningKey.from_parts(key, cert)


class TestAccepted:
    def test_partner_document(self, pki, trust) -> None:
        doc = verify_partner_document(partner_signed(pki), partner="UZB", trust=trust)
        assert doc.party == "UZB"
        assert "UZB" in doc.signer
        assert doc.key_id.startswith("k-")
        assert doc.element.findtext(f"{{{EVENT_NS}}}EventId") == "ev-1"

    def test_returns_only_signed_xml(self, pki, trust) -> None:
        root = etree.fromstring(partner_signed(pki))
        doc = verify_partner_document(root, partner="UZB", trust=trust)
        assert doc.element is not root
        assert doc.element.find(f"{DS}Signature") is None  # what was signed, nothing else

    def test_hub_event_ecdsa(self, pki, trust) -> None:
        signed = EnvelopedSigner(pki.hub_signing_key()).sign_bytes(make_event())
        doc = verify_hub_document(signed, trust=trust)
        assert doc.method == "ECDSA_SHA256"
        assert doc.key_id == pki.hub_keys.active_id()

    @pytest.mark.parametrize("pss", [False, True])
    def test_hub_event_rsa(self, fresh_pki, pss) -> None:
        fresh_pki.rotate_hub_key("rsa")
        key = fresh_pki.hub_signing_key(pss=pss)
        signed = EnvelopedSigner(key).sign_bytes(make_event())
        doc = verify_hub_document(signed, trust=TrustStore.load(fresh_pki.trust_dir))
        assert doc.method == ("SHA256_RSA_MGF1" if pss else "RSA_SHA256")

    def test_expired_now_but_valid_at_signing_time(self, trust) -> None:
        """An archived document verifies at its signing time with a long-expired certificate."""
        start = dt.datetime(2019, 1, 1, tzinfo=UTC)
        ca_key = new_key()
        ca_cert = issue_cert(ca_key.public_key(), subject_cn="OLD CA", org="OLD", usage="ca",
                             issuer_key=ca_key, not_before=start)
        key = new_key()
        cert = issue_cert(key.public_key(), subject_cn="OLD signing", org="OLD", usage="signing",
                          issuer_cert=ca_cert, issuer_key=ca_key, not_before=start,
                          not_after=start + dt.timedelta(days=500))
        old_trust = TrustStore(trust.hub_cas, trust.hub_certs, {"OLD": (ca_cert,)})
        signer = EnvelopedSigner(SigningKey.from_parts(key, cert))
        signed = signer.sign_bytes(make_event(signing_time="2019-06-01T12:00:00Z"))
        doc = verify_partner_document(signed, partner="OLD", trust=old_trust)
        assert doc.signing_time == dt.datetime(2019, 6, 1, 12, tzinfo=UTC)
        undated = signer.sign_bytes(make_event())
        with pytest.raises(VerificationError) as info:
            verify_partner_document(undated, partner="OLD", trust=old_trust)
        assert info.value.rule == "sig.cert-expired"


class TestRefused:
    def test_unsigned(self, trust) -> None:
        assert rule_of(etree.tostring(make_event()), partner="UZB", trust=trust) == "sig.missing"

    def test_tampered_content(self, pki, trust) -> None:
        data = partner_signed(pki).replace(b"KZ-ALA-01", b"KZ-ALA-02")
        assert rule_of(data, partner="UZB", trust=trust) == "sig.invalid"

    def test_wrongly_signed(self, pki, trust) -> None:
        """A signature value from another document."""
        a = etree.fromstring(partner_signed(pki, event=make_event(1)))
        b = etree.fromstring(partner_signed(pki, event=make_event(2)))
        a.find(f"{DS}Signature/{DS}SignatureValue").text = b.find(
            f"{DS}Signature/{DS}SignatureValue").text
        assert rule_of(a, partner="UZB", trust=trust) == "sig.invalid"

    def test_tampered_signed_info(self, pki, trust) -> None:
        root = etree.fromstring(partner_signed(pki))
        dv = root.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference/{DS}DigestValue")
        dv.text = "A" + dv.text[1:] if dv.text[0] != "A" else "B" + dv.text[1:]
        assert rule_of(root, partner="UZB", trust=trust) == "sig.invalid"

    def test_expired_certificate(self, pki, trust) -> None:
        start = dt.datetime(2020, 1, 1, tzinfo=UTC)
        key = key_with(pki, not_before=start, not_after=start + dt.timedelta(days=365))
        signed = EnvelopedSigner(key).sign_bytes(make_event())
        assert rule_of(signed, partner="UZB", trust=trust) == "sig.cert-expired"

    def test_signing_time_outside_validity(self, pki, trust) -> None:
        start = dt.datetime(2020, 1, 1, tzinfo=UTC)
        key = key_with(pki, not_before=start, not_after=start + dt.timedelta(days=365))
        signed = EnvelopedSigner(key).sign_bytes(make_event(signing_time="2022-01-01T00:00:00Z"))
        assert rule_of(signed, partner="UZB", trust=trust) == "sig.cert-expired"

    def test_signing_time_in_future(self, pki, trust) -> None:
        later = (dt.datetime.now(UTC) + dt.timedelta(days=2)).isoformat()
        signed = EnvelopedSigner(pki.partner_signing_key("UZB")).sign_bytes(
            make_event(signing_time=later))
        assert rule_of(signed, partner="UZB", trust=trust) == "sig.signing-time"

    def test_foreign_ca(self, trust) -> None:
        ca_key, ca_cert = new_ca("Rogue CA", "EVIL")
        key = new_key()
        cert = issue_cert(key.public_key(), subject_cn="UZB signing", org="UZB",
                          usage="signing", issuer_cert=ca_cert, issuer_key=ca_key)
        signed = EnvelopedSigner(SigningKey.from_parts(key, cert)).sign_bytes(make_event())
        assert rule_of(signed, partner="UZB", trust=trust) == "sig.untrusted-ca"

    def test_self_signed_with_chain_included(self, trust) -> None:
        ca_key, ca_cert = new_ca("Rogue CA", "EVIL")
        key = new_key()
        cert = issue_cert(key.public_key(), subject_cn="x", org="UZB", usage="signing",
                          issuer_cert=ca_cert, issuer_key=ca_key)
        k = SigningKey.from_parts(key, cert, chain=(ca_cert,))
        signed = EnvelopedSigner(k).sign_bytes(make_event())
        assert rule_of(signed, partner="UZB", trust=trust) == "sig.untrusted-ca"

    def test_wrong_partner(self, pki, trust) -> None:
        assert rule_of(partner_signed(pki, "KGZ"), partner="UZB", trust=trust) == (
            "sig.wrong-partner")

    def test_hub_key_is_not_a_partner(self, pki, trust) -> None:
        signed = EnvelopedSigner(pki.hub_signing_key()).sign_bytes(make_event())
        assert rule_of(signed, partner="UZB", trust=trust) == "sig.wrong-partner"

    def test_unknown_partner(self, pki, trust) -> None:
        assert rule_of(partner_signed(pki), partner="ZZZ", trust=trust) == "sig.unknown-partner"

    def test_no_digital_signature_key_usage(self, pki, trust) -> None:
        key = key_with(pki, key_usage_digital_signature=False)
        signed = EnvelopedSigner(key).sign_bytes(make_event())
        assert rule_of(signed, partner="UZB", trust=trust) == "sig.key-usage"

    def test_weak_rsa_key(self, pki, trust) -> None:
        ca_key, ca_cert = pki.load_pair(pki.partners["UZB"].ca)
        weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        cert = issue_cert(weak.public_key(), subject_cn="weak", org="UZB", usage="signing",
                          issuer_cert=ca_cert, issuer_key=ca_key)
        signed = EnvelopedSigner(SigningKey.from_parts(weak, cert)).sign_bytes(make_event())
        assert rule_of(signed, partner="UZB", trust=trust) == "sig.weak-key"

    def test_sha1_refused(self, pki, trust) -> None:
        root = etree.fromstring(partner_signed(pki))
        root.find(f"{DS}Signature/{DS}SignedInfo/{DS}SignatureMethod").set(
            "Algorithm", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1")
        assert rule_of(root, partner="UZB", trust=trust) == "sig.algorithm"

    def test_tls_key_cannot_sign_hub_events(self, pki, trust) -> None:
        key, cert = pki.load_pair(pki.hub_tls_server)
        signed = EnvelopedSigner(SigningKey.from_parts(key, cert)).sign_bytes(make_event())
        with pytest.raises(VerificationError) as info:
            verify_hub_document(signed, trust=trust)
        assert info.value.rule == "sig.untrusted-ca"  # TLS CA is no signing anchor

    def test_hostile_bytes_are_refused_before_verification(self, trust) -> None:
        data = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
        outcome = check_partner_document(data, partner="UZB", trust=trust)
        assert outcome.problems[0].rule == "xml.dtd"


class TestWrapping:
    def test_signature_moved_into_child(self, pki, trust) -> None:
        root = etree.fromstring(partner_signed(pki))
        sig = root.find(f"{DS}Signature")
        root.find(f"{{{EVENT_NS}}}Person").append(sig)
        assert rule_of(root, partner="UZB", trust=trust) == "sig.wrapping"

    def test_signed_original_wrapped_in_evil_root(self, pki, trust) -> None:
        """Classic wrapping: attacker content at the root, the signed original hidden inside."""
        signed = etree.fromstring(partner_signed(pki))
        evil = make_event(9)
        evil.find(f"{{{EVENT_NS}}}Person/{{{EVENT_NS}}}Name").text = "Evil"
        evil.append(signed)
        assert rule_of(evil, partner="UZB", trust=trust) == "sig.wrapping"

    def test_signature_moved_to_evil_root(self, pki, trust) -> None:
        signed = etree.fromstring(partner_signed(pki))
        sig = signed.find(f"{DS}Signature")
        evil = make_event(9)
        evil.append(copy.deepcopy(signed))
        evil.append(sig)
        assert rule_of(evil, partner="UZB", trust=trust) == "sig.wrapping"

    def test_two_signatures(self, pki, trust) -> None:
        root = etree.fromstring(partner_signed(pki))
        root.append(copy.deepcopy(root.find(f"{DS}Signature")))
        assert rule_of(root, partner="UZB", trust=trust) == "sig.wrapping"

    def test_reference_to_sub_element(self, pki, trust) -> None:
        event = make_event()
        event.find(f"{{{EVENT_NS}}}Person").set("Id", "p1")
        key = pki.partner_signing_key("UZB")
        signer = XMLSigner(signature_algorithm=key.method, c14n_algorithm=(
            "http://www.w3.org/2001/10/xml-exc-c14n#"))
        signed = signer.sign(event, key=key.private_key, cert=[key.certificate],
                             reference_uri="#p1")
        signed.find(f"{{{EVENT_NS}}}EventId").text = "ev-evil"  # outside the signed part
        assert rule_of(signed, partner="UZB", trust=trust) == "sig.wrapping"


class TestRotation:
    def test_old_key_still_verifies(self, fresh_pki) -> None:
        old = fresh_pki.hub_signing_key()
        old_signed = EnvelopedSigner(old).sign_bytes(make_event(1))
        new = fresh_pki.rotate_hub_key()
        assert new.key_id != old.key_id
        assert fresh_pki.hub_keys.active_id() == new.key_id
        assert fresh_pki.hub_signing_key().key_id == new.key_id
        new_signed = EnvelopedSigner(fresh_pki.hub_signing_key()).sign_bytes(make_event(2))
        trust = TrustStore.load(fresh_pki.trust_dir)
        assert set(trust.hub_certs) == {old.key_id, new.key_id}
        assert verify_hub_document(old_signed, trust=trust).key_id == old.key_id
        assert verify_hub_document(new_signed, trust=trust).key_id == new.key_id

    def test_retired_key_removed_from_store_no_longer_verifies(self, fresh_pki) -> None:
        old = fresh_pki.hub_signing_key()
        signed = EnvelopedSigner(old).sign_bytes(make_event(1))
        fresh_pki.rotate_hub_key()
        (fresh_pki.trust_dir / "hub-signing" / f"{old.key_id}.pem").unlink()
        with pytest.raises(VerificationError) as info:
            verify_hub_document(signed, trust=TrustStore.load(fresh_pki.trust_dir))
        assert info.value.rule == "sig.unknown-key"


class TestProblems:
    def test_problem_for_quarantine(self, pki, trust) -> None:
        data = partner_signed(pki).replace(b"KZ-ALA-01", b"KZ-ALA-02")
        outcome = check_partner_document(data, partner="UZB", trust=trust)
        assert not outcome.ok
        (problem,) = outcome.problems
        assert problem.rule == "sig.invalid"
        assert problem.xpath == "/*/ds:Signature"
        assert "does not verify" in problem.message or "altered" in problem.message

    def test_ok_outcome(self, pki, trust) -> None:
        outcome = check_partner_document(partner_signed(pki), partner="UZB", trust=trust)
        assert outcome.ok and outcome.problems == ()
