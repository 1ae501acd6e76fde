"""PKCS#11 signing against a real SoftHSM2 token: keys never leave the token."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from pkcs11 import Attribute

from security.batch import BatchSigner
from security.batch_verifier import verify_event_in_batch
from security.errors import KeyConfigError, VerificationError
from security.hsm import Token, find_module, token_signing_key
from security.keys import key_id_of, write_cert
from security.signer import EnvelopedSigner
from security.trust import TrustStore
from security.verifier import verify_hub_document
from tests.support.security_kit import make_event

SOFTHSM_UTIL = shutil.which("softhsm2-util")
MODULE = find_module()  # SoftHSM2's library
pytestmark = pytest.mark.skipif(
    SOFTHSM_UTIL is None or MODULE is None,
    reason="SoftHSM2 not installed (Debian package softhsm2): PKCS#11 signing not tested",
)
PIN = "4321"
LABEL = "mhub-test"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    """A fresh SoftHSM2 token in a temporary directory (its own config file)."""
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [SOFTHSM_UTIL, "--init-token", "--free", "--label", LABEL, "--pin", PIN,  # type: ignore[list-item]
         "--so-pin", "87654321"],
        check=True, capture_output=True, timeout=30,
    )
    tok = Token(token_label=LABEL, pin=PIN, module=MODULE)
    yield tok
    tok.close()
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old


def token_trust(pki, cert, tmp_path: Path) -> TrustStore:
    """The PKI's trust store plus the token key's certificate."""
    trust_dir = tmp_path / "trust"
    shutil.copytree(pki.trust_dir, trust_dir)
    write_cert(trust_dir / "hub-signing" / f"{key_id_of(cert)}.pem", cert)
    return TrustStore.load(trust_dir)


class TestTokenSigning:
    def test_key_is_not_extractable(self, token) -> None:
        token.generate("never-leaves", "ec")
        assert token.private_attribute("never-leaves", Attribute.EXTRACTABLE) is False
        assert token.private_attribute("never-leaves", Attribute.SENSITIVE) is True

    def test_ecdsa_batch_manifest(self, token, pki, tmp_path) -> None:
        key = token.generate("hub-ec", "ec")
        cert = pki.issue_hub_signing_cert(key.public_key())
        signing_key = token_signing_key(key, cert)
        events = [make_event(i) for i in range(5)]
        batch = BatchSigner(signing_key, chain="hsm").sign_events(events)
        trust = token_trust(pki, cert, tmp_path)
        for i, event in enumerate(events):
            batch.attach_proof(event, i)
            wire = etree.fromstring(etree.tostring(event))
            assert verify_event_in_batch(wire, batch.manifest_bytes, trust).index == i
        path = tmp_path / "manifest.xml"
        path.write_bytes(batch.manifest_bytes)
        if shutil.which("xmlsec1"):
            anchor = str(pki.hub_signing_ca.cert)
            result = subprocess.run(["xmlsec1", "--verify", "--trusted-pem", anchor, str(path)],
                                    capture_output=True, text=True, timeout=30)
            assert result.returncode == 0, result.stderr

    @pytest.mark.parametrize("pss", [False, True])
    def test_rsa_event(self, token, pki, tmp_path, pss) -> None:
        label = f"hub-rsa-{pss}"
        key = token.generate(label, "rsa")
        cert = pki.issue_hub_signing_cert(key.public_key())
        signed = EnvelopedSigner(token_signing_key(key, cert, pss=pss)).sign_bytes(make_event())
        doc = verify_hub_document(signed, trust=token_trust(pki, cert, tmp_path))
        assert doc.method == ("SHA256_RSA_MGF1" if pss else "RSA_SHA256")

    def test_token_signature_is_checked(self, token, pki, tmp_path) -> None:
        """A tampered token-signed event fails: the test can fail."""
        key = token.generate("hub-ec-2", "ec")
        cert = pki.issue_hub_signing_cert(key.public_key())
        signed = EnvelopedSigner(token_signing_key(key, cert)).sign_bytes(make_event())
        with pytest.raises(VerificationError):
            verify_hub_document(signed.replace(b"ev-1", b"ev-2"),
                                trust=token_trust(pki, cert, tmp_path))

    def test_wrong_pin(self, token) -> None:
        with pytest.raises(KeyConfigError):
            Token(token_label=LABEL, pin="0000", module=MODULE)
