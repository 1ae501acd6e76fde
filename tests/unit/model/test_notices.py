"""DLQ entries and identity notices, sealed alone, checked as an agency would.

Real keys (a development PKI), real signatures, Debian's ``xmlsec1`` for the
documented recipe and ``mhub verify`` for the hub's own check: a genuine
notice passes both; one altered after signing, one re-signed with the gateway's
TLS key, and one with no signature fail both.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from connectors.base import RawRecord
from hub.cli import main
from hub.contract import exchange_schema
from hub.errors import TrustError
from hub.model.findings import Finding
from hub.model.notices import DLQ, IDENTITY, NoticeSealer, read_notice, verify_notice
from hub.model.records import Quarantined
from security.keys import SigningKey
from security.pki import DevPki
from security.trust import HUB_SIGNING_CA_FILE, TrustStore
from tests.support.reliability import record_outcome

XMLSEC1 = shutil.which("xmlsec1")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return DevPki.create(tmp_path_factory.mktemp("pki"), passphrase=b"test-passphrase")


def dlq_entry(pki: DevPki) -> bytes:
    raw = RawRecord("interior", "MVD-000042", b"<StayRegistration/>", origin="page 3")
    finding = Finding(rule="kato.unknown", message="KATO 999999999 is not a region",
                      xpath="/StayRegistration/Kato", record_id=raw.record_id)
    return NoticeSealer(pki.hub_signing_key)(DLQ, Quarantined(raw, (finding,), "validate")
                                             .dlq_value())


def merge_notice(pki: DevPki) -> bytes:
    body = {"kind": "merge", "survivor": "P-1", "absorbed": "P-2", "evidence": ["iin"]}
    return NoticeSealer(pki.hub_signing_key)(IDENTITY, body)


def tls_sealed(pki: DevPki) -> bytes:
    key, cert = pki.load_pair(pki.hub_tls_server)
    return NoticeSealer(lambda: SigningKey.from_parts(key, cert))(DLQ, {"record_id": "X"})


def xmlsec(path: Path, anchor: Path) -> int:
    """The documented agency recipe; xmlsec1's exit code."""
    cmd = [XMLSEC1, "--verify", "--trusted-pem", str(anchor), str(path)]
    return subprocess.run(cmd, capture_output=True, timeout=30).returncode  # type: ignore[arg-type]


class TestSealAndVerify:
    def test_genuine_notices_verify_and_carry_their_body(self, pki: DevPki) -> None:
        trust = TrustStore.load(pki.trust_dir)
        dlq = verify_notice(dlq_entry(pki), trust)
        assert dlq.kind == DLQ and dlq.body["record_id"] == "MVD-000042"
        assert dlq.body["findings"][0]["rule"] == "kato.unknown"
        assert dlq.key_id == pki.hub_signing_key().key_id and dlq.signed_at is not None
        assert verify_notice(merge_notice(pki), trust).body["survivor"] == "P-1"
        assert read_notice(dlq_entry(pki)) == dlq.body

    @pytest.mark.parametrize("old,new", [(b"kato.unknown", b"kato.ok"), (b"P-2", b"P-9"),
                                         (b"<Kind>dlq</Kind>", b"<Kind>identity</Kind>")])
    def test_altered_after_signing_is_rejected(self, pki: DevPki, old: bytes, new: bytes) -> None:
        value = dlq_entry(pki) if old != b"P-2" else merge_notice(pki)
        tampered = value.replace(old, new)
        assert tampered != value
        with pytest.raises(TrustError) as err:  # the hub's, not the security package's
            verify_notice(tampered, TrustStore.load(pki.trust_dir))
        assert err.value.rule == "sig.invalid"

    def test_tls_key_and_unsigned_are_rejected(self, pki: DevPki) -> None:
        trust = TrustStore.load(pki.trust_dir)
        with pytest.raises(TrustError) as err:
            verify_notice(tls_sealed(pki), trust)
        assert err.value.rule == "sig.untrusted-ca"
        with pytest.raises(TrustError) as err:
            verify_notice(b'{"record_id":"X"}', trust)
        assert err.value.rule == "notice.unsigned"

    def test_notices_follow_the_published_schema(self, pki: DevPki) -> None:
        schema = exchange_schema("notice.xsd")  # as shipped in the package
        for value in (dlq_entry(pki), merge_notice(pki)):
            schema.assertValid(etree.fromstring(value))

    def test_legacy_json_entries_still_read(self) -> None:
        assert read_notice(b'{"record_id":"R1","findings":[]}')["record_id"] == "R1"


class TestMhubVerify:
    def test_valid_passes_tampered_fails(self, pki: DevPki, tmp_path: Path, capsys) -> None:
        trust = str(pki.trust_dir)
        for name, value in (("dlq.xml", dlq_entry(pki)), ("merge.xml", merge_notice(pki))):
            path = tmp_path / name
            path.write_bytes(value)
            assert main(["verify", str(path), "--trust", trust]) == 0
            out = capsys.readouterr().out
            assert f"OK {path}: " in out and "notice" in out
        tampered = tmp_path / "tampered.xml"
        tampered.write_bytes(dlq_entry(pki).replace(b"MVD-000042", b"MVD-000043"))
        assert main(["verify", str(tampered), "--trust", trust]) == 1
        assert "FAIL sig.invalid" in capsys.readouterr().out
        forged = tmp_path / "forged.xml"
        forged.write_bytes(tls_sealed(pki))
        assert main(["verify", str(forged), "--trust", trust]) == 1


@pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 not installed (Debian package xmlsec1)")
class TestAgencyRecipe:
    def test_recipe_accepts_genuine_and_rejects_altered(self, pki: DevPki,
                                                        tmp_path: Path) -> None:
        anchor = pki.trust_dir / HUB_SIGNING_CA_FILE
        for name, value, old, new in (
            ("dlq", dlq_entry(pki), b"MVD-000042", b"MVD-000043"),
            ("identity", merge_notice(pki), b"P-2", b"P-9"),
        ):
            genuine, tampered = tmp_path / f"{name}.xml", tmp_path / f"{name}-tampered.xml"
            genuine.write_bytes(value)
            tampered.write_bytes(value.replace(old, new))
            assert xmlsec(genuine, anchor) == 0
            assert xmlsec(tampered, anchor) != 0
        forged = tmp_path / "tls.xml"
        forged.write_bytes(tls_sealed(pki))
        assert xmlsec(forged, anchor) != 0
        record_outcome(
            "trust", "tampered DLQ entry / identity notice",
            "rejected: each is signed alone with the hub signing key; xmlsec1 --trusted-pem "
            "hub-signing-ca.pem and mhub verify fail an altered body or a TLS-key signature "
            "(sig.invalid), pass the genuine one",
        )
