"""The partner contract: a standard SOAP client (zeep) calls Get and Ack over mutual TLS
from the WSDL alone, and the gateway's and the proofs' messages validate against their XSDs."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from lxml import etree

from hub.contract import exchange_file, exchange_schema
from tests.integration.deliver.gateway.test_gateway import Gateway, _publish_events
from tests.support.fixtures import batch_records

zeep = pytest.importorskip("zeep")

# The contract as the package ships it (schemas/exchange), found as an integrator would.
WSDL = exchange_file("gateway.wsdl")
BINDING = "{urn:kz:mhub:gateway:1:wsdl}PartnerQueueSoap12"


_schema = exchange_schema


@pytest.fixture
def gateway(gateway_toml, hub_settings):
    gw = Gateway(gateway_toml, hub_settings)
    yield gw
    gw.stop()


def _session(pki, code: str, folder: Path) -> requests.Session:
    """What a partner configures: its client certificate and key, and the hub's CA."""
    pair = pki.client(code)
    key = serialization.load_pem_private_key(pair.key.read_bytes(), password=pki.passphrase)
    plain = folder / f"{code}-client.key"
    plain.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE override session.verify: pin the hub's CA alone.
    session.trust_env = False
    session.verify = str(pki.hub_ca)
    session.cert = (str(pair.cert), str(plain))
    return session


def _address(gateway) -> str:
    """The name the gateway's certificate carries (localhost), on the port it listens on."""
    return f"https://localhost:{gateway.server.address[1]}/"


class TestZeep:
    def test_get_and_ack_from_the_wsdl_alone(
        self, gateway, pki, publish, hub_settings, hub_signer, tmp_path
    ) -> None:
        expected = _publish_events(publish, hub_settings, hub_signer)
        gateway.feeder.drain()
        history = zeep.plugins.HistoryPlugin()
        client = zeep.Client(
            str(WSDL),
            transport=zeep.transports.Transport(session=_session(pki, "KGZ", tmp_path)),
            plugins=[history],
        )
        service = client.create_service(BINDING, _address(gateway))
        seen = set()
        while True:
            reply = service.Get()
            assert reply.queue == "KGZ"
            if reply.PartnerMessage is None:
                break
            message = reply.PartnerMessage
            seen.add(message.eventId)
            ack = service.Ack(MessageId=message.messageId)
            assert (ack.messageId, ack.status) == (message.messageId, "acknowledged")
        assert seen == expected["KGZ"]
        again = service.Ack(MessageId=message.messageId)
        assert again.status == "already-acknowledged"
        stats = service.QueueStatistics()
        assert (stats.pending, stats.acknowledged) == (0, len(expected["KGZ"]))
        # Someone else's queue: a SOAP 1.2 fault with the gateway's subcode.
        with pytest.raises(zeep.exceptions.Fault) as fault:
            service.Get(Queue="UZB")
        assert "not yours" in fault.value.message

    def test_the_gateway_serves_its_wsdl_and_xsd(
        self, gateway, pki, publish, hub_settings, hub_signer, tmp_path
    ) -> None:
        """A partner points its SOAP client at ``https://gateway/?wsdl``: the WSDL and the
        XSD it imports come from the gateway (the package's files), and Get works."""
        session = _session(pki, "KGZ", tmp_path)
        served = session.get(f"{_address(gateway)}?wsdl", timeout=10)
        assert served.status_code == 200 and served.content == WSDL.read_bytes()
        xsd = session.get(f"{_address(gateway)}gateway.xsd", timeout=10)
        assert xsd.content == exchange_file("gateway.xsd").read_bytes()
        assert session.get(f"{_address(gateway)}other", timeout=10).status_code == 405
        expected = _publish_events(publish, hub_settings, hub_signer)
        gateway.feeder.drain()
        client = zeep.Client(f"{_address(gateway)}?wsdl",
                             transport=zeep.transports.Transport(session=session))
        service = client.create_service(BINDING, _address(gateway))
        reply = service.Get()
        assert reply.queue == "KGZ" and reply.PartnerMessage.eventId in expected["KGZ"]

    def test_without_a_client_certificate_the_handshake_fails(self, gateway, pki) -> None:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(pki.hub_ca)
        client = zeep.Client(str(WSDL), transport=zeep.transports.Transport(session=session))
        service = client.create_service(BINDING, _address(gateway))
        with pytest.raises(requests.exceptions.RequestException):
            service.Get()


class TestSchemas:
    def test_gateway_replies_validate(self, gateway, pki, publish, hub_settings, hub_signer):
        _publish_events(publish, hub_settings, hub_signer)
        gateway.feeder.drain()
        schema = _schema("gateway.xsd")
        kgz = gateway.client(pki, "KGZ")
        got = kgz.call("GetRequest").payload
        schema.assertValid(got)
        message_id = got.find("{urn:kz:mhub:gateway:1}PartnerMessage").get("messageId")
        for operation in ("AckRequest", "GetStatusRequest"):
            schema.assertValid(kgz.call(operation, message_id=message_id).payload)
        schema.assertValid(kgz.call("QueueStatisticsRequest").payload)

    def test_manifest_and_proofs_validate(self, pki, hub_settings) -> None:
        from tests.support import events as ev

        events = [ev.border_event(p, n) for n, p in enumerate(ev.PEOPLE[:3])]
        records, _batch = batch_records(pki, hub_settings, events)
        *event_records, manifest = records
        _schema("batch.xsd").assertValid(etree.fromstring(manifest[2]))
        proof_schema = _schema("proof.xsd")
        for record in event_records:
            proof = etree.fromstring(record[2]).find("{urn:kz:mhub:proof:1}BatchProof")
            proof_schema.assertValid(proof)
