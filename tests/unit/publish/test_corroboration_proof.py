"""A corroboration, a leaf of its batch like the events, checked without the hub's code.

The recipe an agency follows with standard tools only: ``xmlsec1 --verify
--trusted-pem hub-signing-ca.pem`` on the batch manifest; remove the
corroboration's ``BatchProof``, take exclusive C14N and SHA-256; climb the
proof's path (RFC 6962 prefixes 0x00 / 0x01) and compare with the signed Root.
The document also validates against ``schemas/exchange/corroboration/v1/corroboration.xsd``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from hub.publish.corroboration import render_corroboration
from hub.publish.render import event_leaf
from security.batch import BatchSigner
from security.pki import DevPki
from tests.support.reliability import record_outcome

XMLSEC1 = shutil.which("xmlsec1")
SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"
XSD = SCHEMA_DIR / "exchange" / "corroboration" / "v1" / "corroboration.xsd"
PROOF = "{urn:kz:mhub:proof:1}"
BATCH = "{urn:kz:mhub:batch:1}"
CORR = {
    "event_id": "0b6f3c1e-9a1d-5c57-8a55-3f3f1a9a0c11", "type": "border-crossing",
    "event_key": "border-crossing/v1|p1|border_point=KZBP012", "source": "partner.uzb",
    "record_id": "UZ-77", "version": 2, "raw_digest": "sha256:ab", "first_source": "interior",
    "person_id": "5d2b5a3c-0000-5000-8000-000000000001",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return DevPki.create(tmp_path_factory.mktemp("pki"), passphrase=b"test-passphrase")


def _signed(pki: DevPki, corr: dict) -> tuple[bytes, bytes]:
    """(corroboration with proof, manifest) as stage 2 makes them, beside two event leaves."""
    signer = BatchSigner(pki.hub_signing_key(), chain="intake-0")
    leaves = [hashlib.sha256(b"event-1").digest(), hashlib.sha256(b"event-2").digest()]
    xml = render_corroboration(corr)
    batch = signer.sign_digests([*leaves, event_leaf(xml)])
    return batch.splice_proof(xml, 2), batch.manifest_bytes


def _root_by_recipe(doc: bytes) -> bytes:
    """The Merkle root the document's proof yields, with lxml and hashlib only."""
    root = etree.fromstring(doc)
    proof = root.find(PROOF + "BatchProof")
    root.remove(proof)
    node = hashlib.sha256(b"\x00" + hashlib.sha256(
        etree.tostring(root, method="c14n", exclusive=True)).digest()).digest()
    index, size = int(proof.findtext(PROOF + "LeafIndex")), int(proof.findtext(PROOF + "LeafCount"))
    siblings = [bytes.fromhex(s.text) for s in proof.iter(PROOF + "Sibling")]
    while size > 1:
        if index % 2:
            node = hashlib.sha256(b"\x01" + siblings.pop(0) + node).digest()
        elif index + 1 < size:
            node = hashlib.sha256(b"\x01" + node + siblings.pop(0)).digest()
        index, size = index // 2, (size + 1) // 2
    return node


@pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 (Debian package) not installed")
def test_agency_recipe_verifies_a_corroboration(pki: DevPki, tmp_path: Path) -> None:
    doc, manifest = _signed(pki, CORR)
    (tmp_path / "manifest.xml").write_bytes(manifest)
    checked = subprocess.run(
        [XMLSEC1, "--verify", "--trusted-pem", str(pki.hub_signing_ca.cert),
         str(tmp_path / "manifest.xml")], capture_output=True, text=True, timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    signed_root = bytes.fromhex(etree.fromstring(manifest).findtext(BATCH + "Root"))
    assert _root_by_recipe(doc) == signed_root
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(etree.fromstring(doc)), schema.error_log

    tampered = doc.replace(b"<Source>partner.uzb</Source>", b"<Source>partner.kgz</Source>")
    assert tampered != doc and _root_by_recipe(tampered) != signed_root
    record_outcome(
        "trust", "corroboration checked by an agency without the hub's code",
        "a leaf of its event batch: xmlsec1 verifies the manifest, the proof recipe (C14N, "
        "SHA-256, sibling path) yields the signed root; a changed Source does not",
    )


def test_rendering_is_its_own_exclusive_c14n() -> None:
    xml = render_corroboration({**CORR, "source": 'a&b<"c">'})
    assert etree.tostring(etree.fromstring(xml), method="c14n", exclusive=True) == xml
