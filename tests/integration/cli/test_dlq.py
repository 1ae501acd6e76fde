"""mhub dlq: the quarantine as committed on the real broker, findings and raw bytes."""

from __future__ import annotations

import uuid

import pytest

from connectors.base import RawRecord
from hub.cli import main
from hub.config import load_settings
from hub.intake.raw_store import RawStore
from hub.kafka.clients import producer
from hub.kafka.topics import ensure_topics, topics_for
from hub.model.findings import Finding
from hub.model.records import Quarantined
from tests.support.names import topic_prefix

BODY = b"<StayRegistration><Kato>999999999</Kato></StayRegistration>"


@pytest.fixture
def dlq_settings(kafka_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_TOPIC_PREFIX", topic_prefix("dlq"))
    monkeypatch.setenv("HUB_VAR_DIR", str(tmp_path / "var"))
    settings = load_settings()
    ensure_topics(topics_for(settings).specs(), settings)
    return settings


def _quarantine(settings, record_id: str, *, commit: bool) -> None:
    raw = RawRecord("interior_border", record_id, BODY, origin="page-1")
    store = RawStore(settings.raw_store_dir)
    store.put(BODY, raw.digest)
    store.close()
    finding = Finding(rule="kato.unknown", message="KATO 999999999 is not a region",
                      xpath="/StayRegistration/Kato", record_id=record_id)
    prod = producer(settings, transactional_id=f"test-dlq-{uuid.uuid4().hex[:8]}")
    prod.init_transactions()
    prod.begin_transaction()
    prod.send(topics_for(settings).dlq, key=record_id.encode(),
              value=Quarantined(raw, (finding,), "validate").dlq_json())
    prod.flush()
    if commit:
        prod.commit_transaction()
    else:
        prod.abort_transaction()
    prod.close()


def test_list_and_show(dlq_settings, capsys) -> None:
    _quarantine(dlq_settings, "rec-aborted", commit=False)
    _quarantine(dlq_settings, "rec-1", commit=True)

    assert main(["dlq", "list"]) == 0
    out = capsys.readouterr().out
    assert "rec-1" in out and "kato.unknown" in out
    assert "rec-aborted" not in out  # read_committed: a crashed intake shows nothing
    assert "1 quarantined records" in out
    offset = next(line.split()[0] for line in out.splitlines() if "rec-1" in line)

    assert main(["dlq", "show", offset, "--raw"]) == 0
    shown = capsys.readouterr().out
    assert "- kato.unknown at /StayRegistration/Kato: KATO 999999999 is not a region" in shown
    assert BODY.decode() in shown


def test_filters_and_missing_offset(dlq_settings, capsys) -> None:
    _quarantine(dlq_settings, "rec-2", commit=True)
    assert main(["dlq", "list", "--rule", "mrz.check-digit"]) == 0
    assert "0 quarantined records" in capsys.readouterr().out
    assert main(["dlq", "show", "9999"]) == 1
    assert "no record at offset 9999" in capsys.readouterr().err
