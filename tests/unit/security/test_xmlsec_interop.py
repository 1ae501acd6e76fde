"""Interop with Debian's xmlsec1, both ways, with real keys and certificates."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from security.batch import BatchSigner
from security.errors import VerificationError
from security.pki import DevPki
from security.signer import EnvelopedSigner
from security.trust import TrustStore
from security.verifier import verify_hub_document, verify_partner_document
from tests.support.security_kit import make_event

XMLSEC1 = shutil.which("xmlsec1")
pytestmark = pytest.mark.skipif(
    XMLSEC1 is None, reason="xmlsec1 not installed (Debian package xmlsec1)"
)

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<Event xmlns="urn:kz:mhub:event:1"><EventId>ev-xmlsec</EventId><Type>border.exit</Type>\
<Person><Name>Тимур Қасымов</Name></Person>\
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>\
<ds:SignatureMethod Algorithm="{method}"/>\
<ds:Reference URI=""><ds:Transforms>\
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>\
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>\
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>\
</ds:Reference></ds:SignedInfo><ds:SignatureValue/>\
<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></Event>
"""
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def xmlsec_verify(path: Path, ca: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [XMLSEC1, "--verify", "--trusted-pem", str(ca), str(path)],  # type: ignore[list-item]
        capture_output=True, text=True, timeout=30,
    )


def xmlsec_sign(template: Path, key: Path, cert: Path, passphrase: bytes, out: Path) -> None:
    subprocess.run(
        [XMLSEC1, "--sign", "--privkey-pem", f"{key},{cert}", "--pwd", passphrase.decode(),  # type: ignore[list-item]
         "--output", str(out), str(template)],
        check=True, capture_output=True, text=True, timeout=30,
    )


class TestXmlsecVerifiesHub:
    def test_hub_signed_event_ecdsa(self, pki: DevPki, tmp_path: Path) -> None:
        path = tmp_path / "event.xml"
        path.write_bytes(EnvelopedSigner(pki.hub_signing_key()).sign_bytes(make_event()))
        result = xmlsec_verify(path, pki.hub_signing_ca.cert)
        assert result.returncode == 0, result.stderr
        assert "OK" in result.stderr

    def test_hub_signed_event_rsa(self, fresh_pki: DevPki, tmp_path: Path) -> None:
        fresh_pki.rotate_hub_key("rsa")
        path = tmp_path / "event.xml"
        path.write_bytes(EnvelopedSigner(fresh_pki.hub_signing_key()).sign_bytes(make_event()))
        result = xmlsec_verify(path, fresh_pki.hub_signing_ca.cert)
        assert result.returncode == 0, result.stderr

    def test_xmlsec_refuses_tampered_hub_event(self, pki: DevPki, tmp_path: Path) -> None:
        signed = EnvelopedSigner(pki.hub_signing_key()).sign_bytes(make_event())
        path = tmp_path / "event.xml"
        path.write_bytes(signed.replace(b"KZ-ALA-01", b"KZ-ALA-09"))
        assert xmlsec_verify(path, pki.hub_signing_ca.cert).returncode != 0

    def test_xmlsec_refuses_foreign_ca(self, pki: DevPki, tmp_path: Path) -> None:
        path = tmp_path / "event.xml"
        path.write_bytes(EnvelopedSigner(pki.hub_signing_key()).sign_bytes(make_event()))
        assert xmlsec_verify(path, pki.partners["UZB"].ca.cert).returncode != 0

    def test_batch_manifest(self, pki: DevPki, tmp_path: Path) -> None:
        batch = BatchSigner(pki.hub_signing_key(), chain="xmlsec").sign_events(
            [make_event(i) for i in range(5)])
        path = tmp_path / "manifest.xml"
        path.write_bytes(batch.manifest_bytes)
        result = xmlsec_verify(path, pki.hub_signing_ca.cert)
        assert result.returncode == 0, result.stderr


class TestHubVerifiesXmlsec:
    def test_partner_document_signed_by_xmlsec1(
        self, pki: DevPki, trust: TrustStore, tmp_path: Path
    ) -> None:
        template = tmp_path / "template.xml"
        template.write_text(TEMPLATE.format(method=ECDSA_SHA256), encoding="utf-8")
        out = tmp_path / "signed.xml"
        pair = pki.partners["KGZ"].signing
        xmlsec_sign(template, pair.key, pair.cert, pki.passphrase, out)
        doc = verify_partner_document(out.read_bytes(), partner="KGZ", trust=trust)
        assert "KGZ" in doc.signer
        assert doc.element.findtext("{urn:kz:mhub:event:1}EventId") == "ev-xmlsec"

    def test_rsa_document_signed_by_xmlsec1(self, fresh_pki: DevPki, tmp_path: Path) -> None:
        fresh_pki.rotate_hub_key("rsa")
        kid = fresh_pki.hub_keys.active_id()
        template = tmp_path / "template.xml"
        template.write_text(TEMPLATE.format(method=RSA_SHA256), encoding="utf-8")
        out = tmp_path / "signed.xml"
        keys = fresh_pki.hub_keys.directory
        xmlsec_sign(template, keys / f"{kid}.key", keys / f"{kid}.pem", fresh_pki.passphrase, out)
        doc = verify_hub_document(out.read_bytes(), trust=TrustStore.load(fresh_pki.trust_dir))
        assert doc.method == "RSA_SHA256" and doc.key_id == kid

    def test_xmlsec1_signed_then_tampered(
        self, pki: DevPki, trust: TrustStore, tmp_path: Path
    ) -> None:
        template = tmp_path / "template.xml"
        template.write_text(TEMPLATE.format(method=ECDSA_SHA256), encoding="utf-8")
        out = tmp_path / "signed.xml"
        pair = pki.partners["KGZ"].signing
        xmlsec_sign(template, pair.key, pair.cert, pki.passphrase, out)
        data = out.read_bytes().replace("Қасымов".encode(), b"Kasymov")
        with pytest.raises(VerificationError) as info:
            verify_partner_document(data, partner="KGZ", trust=trust)
        assert info.value.rule == "sig.invalid"
