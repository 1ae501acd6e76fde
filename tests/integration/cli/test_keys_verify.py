"""``mhub keys`` and ``mhub verify`` end to end: files, directories and a real Kafka topic."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from connectors.base import RawRecord
from hub.cli import main
from hub.cli.verify import read_topic
from hub.intake.commit import commit_page
from hub.intake.page import PageOutcome
from hub.kafka.clients import producer
from hub.kafka.reading import STALL_TIMEOUT_S as KAFKA_STALL_TIMEOUT_S
from hub.kafka.topics import topics_for
from hub.kafka.transactions import TransactionalProducer
from hub.keys import open_pki
from hub.model.findings import Finding
from hub.model.notices import NoticeSealer
from hub.model.records import Quarantined
from hub.runs.summary import SourceRunSummary
from security.batch import BatchSigner
from security.pki import DevPki
from security.signer import EnvelopedSigner
from tests.support.exchange import isolated_settings
from tests.support.reliability import record_outcome
from tests.support.security_kit import make_event

# A fetch the broker answers only when fetch.wait.max.ms runs out (the topic holds far
# less): longer than the old verify's 5 s of silence, well inside its stall timeout.
SLOW_FETCH_MIN_BYTES = 50 * 1024 * 1024
SLOW_FETCH_WAIT_MS = 6_000
assert SLOW_FETCH_WAIT_MS / 1000 < KAFKA_STALL_TIMEOUT_S


@pytest.fixture
def published(pki: DevPki, tmp_path: Path) -> Path:
    """Four batches of three events written as files, as a consumer would store them."""
    out = tmp_path / "out"
    (out / "manifests").mkdir(parents=True)
    (out / "events").mkdir()
    signer = BatchSigner(pki.hub_signing_key(), chain="intake-0")
    for b in range(4):
        events = [make_event(b * 3 + i) for i in range(3)]
        batch = signer.sign_events(events, batch_id=f"b{b}")
        (out / "manifests" / f"{b:04d}.xml").write_bytes(batch.manifest_bytes)
        for i, event in enumerate(events):
            batch.attach_proof(event, i)
            (out / "events" / f"{b:04d}-{i}.xml").write_bytes(etree.tostring(event))
    return out


def mhub(*args: str) -> int:
    return main(list(args))


class TestKeys:
    def test_init_rotate_show(self, tmp_path: Path, capsys, monkeypatch) -> None:
        monkeypatch.setenv("HUB_KEY_PASSPHRASE", "cli-test")
        d = tmp_path / "pki"
        assert mhub("keys", "init", "--dir", str(d), "--partners", "UZB,KGZ") == 0
        assert (d / "trust" / "partners" / "KGZ.pem").exists()
        assert b"ENCRYPTED PRIVATE KEY" in (d / "hub" / "ca.key").read_bytes()
        assert not (d / ".passphrase").exists()  # the configured passphrase was used
        first = DevPki.open(d, passphrase=b"cli-test").hub_keys.active_id()
        assert mhub("keys", "rotate", "--dir", str(d)) == 0
        pki = DevPki.open(d, passphrase=b"cli-test")
        assert pki.hub_keys.active_id() != first and len(pki.hub_keys.ids()) == 2
        assert mhub("keys", "show", "--dir", str(d)) == 0
        assert "(active)" in capsys.readouterr().out

    def test_dev_passphrase_file(self, tmp_path: Path, monkeypatch) -> None:
        monkeypatch.delenv("HUB_KEY_PASSPHRASE", raising=False)
        d = tmp_path / "pki"
        assert mhub("keys", "init", "--dir", str(d), "--partners", "UZB") == 0
        assert (d / ".passphrase").stat().st_mode & 0o777 == 0o600
        assert DevPki.open(d).hub_signing_key().key_id


class TestVerifyFiles:
    def test_signed_event(self, pki, tmp_path, capsys) -> None:
        path = tmp_path / "e.xml"
        path.write_bytes(EnvelopedSigner(pki.hub_signing_key()).sign_bytes(make_event()))
        assert mhub("verify", str(path), "--trust", str(pki.trust_dir)) == 0
        assert "OK" in capsys.readouterr().out
        path.write_bytes(path.read_bytes().replace(b"ev-1", b"ev-2"))
        assert mhub("verify", str(path), "--trust", str(pki.trust_dir)) == 1
        assert "FAIL sig.invalid" in capsys.readouterr().out

    def test_partner_document(self, pki, tmp_path, capsys) -> None:
        path = tmp_path / "p.xml"
        path.write_bytes(EnvelopedSigner(pki.partner_signing_key("TJK")).sign_bytes(make_event()))
        assert mhub("verify", str(path), "--partner", "TJK", "--trust", str(pki.trust_dir)) == 0
        assert mhub("verify", str(path), "--partner", "RUS", "--trust", str(pki.trust_dir)) == 1
        assert "sig.wrong-partner" in capsys.readouterr().out

    def test_event_in_batch(self, pki, published, capsys) -> None:
        event = published / "events" / "0002-1.xml"
        manifest = published / "manifests" / "0002.xml"
        trust = str(pki.trust_dir)
        assert mhub("verify", str(event), "--manifest", str(manifest), "--trust", trust) == 0
        assert "leaf 1 of batch b2" in capsys.readouterr().out
        other = published / "manifests" / "0001.xml"
        assert mhub("verify", str(event), "--manifest", str(other), "--trust", trust) == 1
        assert "proof.wrong-batch" in capsys.readouterr().out

    def test_manifest(self, pki, published, capsys) -> None:
        m = published / "manifests" / "0000.xml"
        assert mhub("verify", "--manifest", str(m), "--trust", str(pki.trust_dir)) == 0
        assert "batch b0" in capsys.readouterr().out

    def test_chain_directory(self, pki, published, capsys) -> None:
        args = ["verify", "--chain", str(published / "manifests"), "--events",
                str(published / "events"), "--trust", str(pki.trust_dir)]
        assert mhub(*args) == 0
        assert capsys.readouterr().out.strip().endswith("OK")
        (published / "manifests" / "0001.xml").unlink()
        assert mhub(*args) == 1
        out = capsys.readouterr().out
        assert "FAIL chain.removed batch b2" in out
        assert "proof.unknown-batch batch b1" in out

    def test_nothing_to_verify(self, pki) -> None:
        assert mhub("verify", "--trust", str(pki.trust_dir)) == 2


class TestVerifyKafka:
    def test_chain_on_topic(self, pki, published, make_topic, kafka_settings, unique_name,
                            capsys) -> None:
        topic = make_topic("batches")
        prod = producer(kafka_settings, transactional_id=unique_name("verify-tx"))
        prod.init_transactions()
        prod.begin_transaction()
        for path in sorted((published / "manifests").glob("*.xml")):
            prod.send(topic, key=b"intake-0", value=path.read_bytes())
        prod.commit_transaction()
        # an aborted transaction must stay invisible to the verifier (read_committed)
        prod.begin_transaction()
        prod.send(topic, key=b"intake-0", value=b"<garbage/>")
        prod.flush()
        prod.abort_transaction()
        prod.close()
        assert mhub("verify", "--kafka", topic, "--trust", str(pki.trust_dir)) == 0
        out = capsys.readouterr().out
        assert "verifying 4 manifests" in out and out.strip().endswith("OK")

    def test_gap_on_topic(self, pki, published, make_topic, kafka_settings, capsys) -> None:
        topic = make_topic("batches-gap")
        prod = producer(kafka_settings)
        for path in sorted((published / "manifests").glob("*.xml")):
            if path.name != "0002.xml":
                prod.send(topic, key=b"intake-0", value=path.read_bytes())
        prod.flush()
        prod.close()
        assert mhub("verify", "--kafka", topic, "--trust", str(pki.trust_dir)) == 1
        assert "FAIL chain.removed batch b3" in capsys.readouterr().out


class TestVerifyNotices:
    """DLQ entries and identity notices on Kafka, as stage 1 writes them and as forged."""

    def test_stage1_writes_notices_an_agency_can_check(
        self, tmp_path: Path, kafka_settings, unique_name, capsys
    ) -> None:
        settings = isolated_settings(tmp_path, kafka_settings, unique_name)
        raw = RawRecord("interior", "MVD-000042", b"<StayRegistration/>")
        finding = Finding(rule="kato.unknown", message="KATO 999999999 is not a region",
                          xpath="/StayRegistration/Kato", record_id=raw.record_id)
        outcome = PageOutcome(quarantined=[Quarantined(raw, (finding,), "validate")],
                              identity=[{"kind": "review", "person_ids": ["P-1", "P-2"],
                                         "conflict": {"kind": "strong-ids-disagree"}}])
        producer = TransactionalProducer.open(settings, unique_name("stage1"), role="stage1")
        seal = NoticeSealer(open_pki(settings).hub_signing_key)
        commit_page(producer, topics_for(settings), "interior", outcome, {"page": 1},
                    before_commit=lambda: None, summary=SourceRunSummary("interior"), seal=seal)
        producer.close()
        t, trust = topics_for(settings), str(open_pki(settings).trust_dir)
        assert mhub("verify", "--notices", t.dlq, t.identity, "--trust", trust) == 0
        assert "verified 2 of 2 notices" in capsys.readouterr().out

    def test_tampered_notice_on_topic_fails(self, pki, make_topic, kafka_settings, capsys
                                            ) -> None:
        topic = make_topic("dlq")
        seal = NoticeSealer(pki.hub_signing_key)
        genuine = seal("dlq", {"record_id": "MVD-1", "findings": [{"rule": "iin.check"}]})
        prod = producer(kafka_settings)
        prod.send(topic, key=b"MVD-1", value=genuine)
        prod.send(topic, key=b"MVD-1", value=genuine.replace(b"iin.check", b"iin.fine"))
        prod.send(topic, key=b"MVD-2", value=b'{"record_id":"MVD-2","findings":[]}')
        prod.flush()
        prod.close()
        assert mhub("verify", "--notices", topic, "--trust", str(pki.trust_dir)) == 1
        out = capsys.readouterr().out
        assert f"FAIL sig.invalid {topic}[0]@1" in out
        assert f"FAIL notice.unsigned {topic}[0]@2" in out
        assert "verified 1 of 3 notices" in out
        record_outcome(
            "trust", "DLQ topic with an altered and an unsigned entry, mhub verify --notices",
            "fails (exit 1) naming each: sig.invalid at offset 1, notice.unsigned at offset 2; "
            "the genuine entry passes",
        )


class TestReadToEnd:
    def test_a_slow_broker_does_not_end_the_read(self, make_topic, kafka_settings) -> None:
        """The broker holds each fetch longer than the old 5 s idle limit (fetch.min.bytes
        out of reach, fetch.max.wait.ms 6 s): verify must wait for the end offsets."""
        topic = make_topic("slow", partitions=2)
        prod = producer(kafka_settings)
        for i in range(20):
            prod.send(topic, key=str(i).encode(), value=f"<m{i}/>".encode())
        prod.flush()
        prod.close()
        values = read_topic(topic, **{"fetch.min.bytes": SLOW_FETCH_MIN_BYTES,
                                      "fetch.wait.max.ms": SLOW_FETCH_WAIT_MS})
        assert sorted(values) == sorted(f"<m{i}/>".encode() for i in range(20))
        record_outcome(
            "trust: mhub verify", "broker holds every fetch 6 s (longer than the old 5 s limit)",
            "verify reads to the end offsets taken at start: all 20 records (before: stopped "
            "after 5 s of silence with 0 records read, verifying only a prefix)",
        )
