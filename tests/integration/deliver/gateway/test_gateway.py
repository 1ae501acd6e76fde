"""The partner gateway end to end: real events on real topics, the feeder, the HTTPS
server with mutual TLS, and partner clients that drain, verify and acknowledge."""

from __future__ import annotations

import ssl
import time
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from hub.cli.gateway import open_signer, open_store
from hub.deliver.gateway.config import load_config
from hub.deliver.gateway.feed import Feeder
from hub.deliver.gateway.server import GatewayServer
from hub.deliver.gateway.stats import queue_stats
from hub.kafka.topics import topics_for
from tests.support import events as ev
from tests.support.fixtures import batch_records
from tests.support.partner_client import GW, PartnerClient, xmlsec1_verify

EVENT_NS = "{urn:kz:mhub:event:1}"
INTERIOR = "{urn:kz:mhub:interior:1}"


class Gateway:
    """Feeder + store + server on one database, torn down and rebuilt like a restart."""

    def __init__(self, toml: Path, settings) -> None:
        self.config = load_config(toml)
        self.settings = settings
        self.start()

    def start(self) -> None:
        self.store = open_store(self.config)
        self.feeder = Feeder(self.config, self.settings, self.store, open_signer(self.config))
        self.server = GatewayServer(self.config, self.store).start()

    def stop(self) -> None:
        self.server.stop()
        self.feeder.close()
        self.store.close()

    def client(self, pki, code: str | None) -> PartnerClient:
        cert = pki.client(code) if code else None
        return PartnerClient(self.server.address, pki.hub_ca, cert, pki.passphrase)


def _publish_events(publish, settings, signer):
    """Two crossings per person (KGZ x2, UZB x2, TJK), one re-published, one tampered."""
    t = topics_for(settings)
    records, expected = [], {"KGZ": set(), "UZB": set()}
    for i, p in enumerate(ev.PEOPLE):
        for n in (2 * i, 2 * i + 1):
            e = ev.border_event(p, n)
            records.append(
                (t.events("border"), p.person_id.encode(), signer.sign(e), ev.headers(e))
            )
            if p.citizenship in expected:
                expected[p.citizenship].add(ev.event_id(e))
    records.append(records[0])  # a duplicate publication
    tampered = ev.border_event(ev.PEOPLE[0], 99)
    records.append((t.events("border"), b"P-KGZ-0001", ev.tamper(signer.sign(tampered)), []))
    publish(records)
    return expected

# A redelivered message is waited for this long at most (a guard against a hang only).
REDELIVERY_HANG_GUARD_S = 60.0


@pytest.fixture
def gateway(gateway_toml, hub_settings):
    gw = Gateway(gateway_toml, hub_settings)
    yield gw
    gw.stop()


def _drain(client: PartnerClient, seen: Counter, received: list) -> None:
    while (msg := client.get()) is not None:
        signed = client.verify(msg)  # raises when the hub's signature does not hold
        received.append(msg)
        seen[signed.get("eventId")] += 1
        assert client.ack(msg.get("messageId")) == "acknowledged"


class TestPartnerDrain:
    def test_exactly_its_events_once_across_restart_and_redelivery(
        self, gateway, pki, publish, hub_settings, hub_signer, tmp_path
    ):
        expected = _publish_events(publish, hub_settings, hub_signer)
        counts = gateway.feeder.drain()
        assert counts.rejected == 1 and counts.rejected_rules == {"sig.invalid": 1}
        assert counts.queued == {"KGZ": 4, "UZB": 4}

        kgz = gateway.client(pki, "KGZ")
        unacked = kgz.get()  # fetched, never acknowledged: must come back
        second = kgz.get()
        assert second.get("messageId") != unacked.get("messageId")
        assert kgz.ack(second.get("messageId")) == "acknowledged"
        acked = Counter({second.get("eventId"): 1})

        # restart: everything torn down and rebuilt on the same database
        gateway.stop()
        gateway.start()
        assert gateway.feeder.drain().queued == {}, "offsets survived: nothing fed twice"
        kgz = gateway.client(pki, "KGZ")
        received: list = []
        # Wait on state, not time: drain until the unacknowledged message came back
        # (after its visibility timeout); the deadline only guards against a hang.
        deadline = time.monotonic() + REDELIVERY_HANG_GUARD_S
        while not any(m.get("messageId") == unacked.get("messageId") for m in received):
            assert time.monotonic() < deadline, "the unacknowledged message never came back"
            _drain(kgz, acked, received)
            time.sleep(0.05)

        assert set(acked) == expected["KGZ"] and set(acked.values()) == {1}
        again = [m for m in received if m.get("messageId") == unacked.get("messageId")]
        assert len(again) == 1
        status = kgz.call("GetStatusRequest", message_id=unacked.get("messageId")).payload
        assert status.get("status") == "acknowledged" and status.get("deliveries") == "2"
        # an Ack resent for an already acknowledged message is not an error
        assert kgz.ack(second.get("messageId")) == "already-acknowledged"

        uzb, uzb_seen, uzb_msgs = gateway.client(pki, "UZB"), Counter(), []
        _drain(uzb, uzb_seen, uzb_msgs)
        assert set(uzb_seen) == expected["UZB"] and set(uzb_seen.values()) == {1}

        # the standard tool agrees with signxml
        result = xmlsec1_verify(received[0], pki.hub_signing_ca, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "OK" in result.stderr

        stats = {s.partner: s for s in queue_stats(gateway.config.db)}
        assert (stats["KGZ"].acknowledged, stats["KGZ"].pending, stats["KGZ"].delivered) == (
            4,
            0,
            0,
        )
        assert stats["UZB"].acknowledged == 4 and stats["UZB"].oldest_pending_age_s is None

    def test_messages_carry_only_the_agreed_fields(
        self, gateway, pki, publish, hub_settings, hub_signer
    ):
        _publish_events(publish, hub_settings, hub_signer)
        gateway.feeder.drain()
        kgz = gateway.client(pki, "KGZ").get()
        uzb = gateway.client(pki, "UZB").get()
        for msg, person_fields, body_fields in (
            (
                kgz,
                {"PersonId", "Name", "BirthDate", "Citizenship"},
                {"Direction", "BorderPoint", "CrossedAt"},
            ),
            (uzb, {"Name", "Citizenship"}, {"Direction"}),
        ):
            event = msg.find(f"{EVENT_NS}Event")
            assert msg.get("eventId") == event.findtext(f"{EVENT_NS}EventId")
            person = event.find(f"{EVENT_NS}Person")
            assert {etree.QName(c).localname for c in person} == person_fields
            record = event.find(f"{EVENT_NS}Body")[0]
            assert {etree.QName(c).localname for c in record} == body_fields
            assert record.get("recordId")  # the record's own identity stays
            text = etree.tostring(msg)
            assert b"Identifier" not in text and b"Document" not in text
            assert b"BatchProof" not in text and event.find(f"{EVENT_NS}Provenance") is not None


class TestAccess:
    def test_a_partner_cannot_reach_another_partners_queue(
        self, gateway, pki, publish, hub_settings, hub_signer
    ):
        expected = _publish_events(publish, hub_settings, hub_signer)
        gateway.feeder.drain()
        kgz, uzb = gateway.client(pki, "KGZ"), gateway.client(pki, "UZB")
        reply = kgz.call("GetRequest", queue="UZB")
        assert reply.status == 400 and reply.fault_subcode == "gw:AccessDenied"

        uzb_msg = uzb.get()
        reply = kgz.call("AckRequest", message_id=uzb_msg.get("messageId"))
        assert reply.fault_subcode == "gw:UnknownMessage"
        reply = kgz.call("GetStatusRequest", message_id=uzb_msg.get("messageId"))
        assert reply.fault_subcode == "gw:UnknownMessage"
        status = uzb.call("GetStatusRequest", message_id=uzb_msg.get("messageId")).payload
        assert status.get("status") == "delivered"
        own = kgz.get()  # KGZ's own queue holds its four messages: never UZB's
        assert own is not None
        assert kgz.verify(own).get("eventId") in expected["KGZ"]

    @pytest.mark.parametrize("who", ["none", "foreign"])
    def test_a_client_without_a_valid_certificate_is_refused(self, gateway, pki, who):
        cert = None if who == "none" else pki.foreign_client
        client = PartnerClient(gateway.server.address, pki.hub_ca, cert, pki.passphrase)
        with pytest.raises((ssl.SSLError, ConnectionError)):
            client.call("GetRequest")

    def test_malformed_and_hostile_requests_get_faults(self, gateway, pki):
        kgz = gateway.client(pki, "KGZ")
        assert (
            kgz.call("GetRequest", content_type="text/xml").fault_subcode == "gw:MalformedRequest"
        )
        hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
        assert kgz.call("", body=hostile).fault_subcode == "gw:MalformedRequest"
        reply = kgz.call("AckRequest", message_id="00000000-0000-1000-8000-000000000000")
        assert reply.fault_subcode == "gw:UnknownMessage"
        stats = kgz.call("QueueStatisticsRequest").payload
        assert stats.tag == f"{GW}QueueStatisticsResponse" and stats.get("queue") == "KGZ"


class TestBatchSignedEvents:
    def test_events_proven_by_batch_manifest_are_forwarded_and_resigned(
        self, gateway, pki, publish, hub_settings
    ):
        events = [ev.border_event(p, n) for n, p in enumerate(ev.PEOPLE)]
        records, _ = batch_records(pki, hub_settings, events)
        publish(records)
        counts = gateway.feeder.drain()
        assert counts.rejected == 0 and counts.queued == {"KGZ": 2, "UZB": 2}
        kgz = gateway.client(pki, "KGZ")
        msg = kgz.get()
        kgz.verify(msg)  # the per-message hub signature replaces the batch proof
        assert b"BatchProof" not in etree.tostring(msg)
