"""A CIS partner's side of the gateway, as the tests play it: SOAP 1.2 over mutual TLS
with the standard library, and the partner's own checks of what it receives."""

from __future__ import annotations

import http.client
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from signxml import XMLVerifier

from hub.deliver.gateway.message import GATEWAY_NS
from hub.deliver.gateway.soap import CONTENT_TYPE, SOAP_NS, request_envelope
from security.pki import CertPair
from tests.support.devpki import PkiFiles

GW = f"{{{GATEWAY_NS}}}"

# What the bilateral agreements in the test configuration allow.
KGZ_FIELDS = [
    "Person/PersonId",
    "Person/Name",
    "Person/BirthDate",
    "Person/Citizenship",
    "Body/*/Direction",
    "Body/*/BorderPoint",
    "Body/*/CrossedAt",
]
UZB_FIELDS = ["Person/Name", "Person/Citizenship", "Body/*/Direction"]


# A fetched, unacknowledged message is offered again after this long. Long enough
# that two calls of one test (get, then get or ack) never straddle it on a loaded
# 2-core machine (1 s did: the second get() saw the first message again); a test that
# waits for a redelivery polls for it (state), so this is also its expected wait.
VISIBILITY_S = 10.0


def write_config(
    folder: Path, pki: PkiFiles, *, visibility_s: float = VISIBILITY_S, retention_days: float = 30,
    acked_retention_days: float = 7,
) -> Path:
    trust = pki.trust_dir / "partners"
    text = f"""
[server]
host = "127.0.0.1"
port = 0
certificate = "{pki.pki.hub_tls_server.cert}"
key = "{pki.pki.hub_tls_server.key}"

[queue]
db = "{folder / "gateway" / "queue.sqlite"}"
visibility_timeout_s = {visibility_s}
retention_days = {retention_days}
acked_retention_days = {acked_retention_days}

[keys]
directory = "{pki.directory}"

[feed]
state = "{folder / "gateway" / "feed-state.sqlite"}"
runs = "{folder / "runs" / "gateway"}"

[partners.KGZ]
ca = "{trust / "KGZ.pem"}"
crl = "{trust / "KGZ.crl"}"
country = "ZZ"
organization = "KGZ"
families = ["border", "enforcement"]
fields = {KGZ_FIELDS!r}

[partners.UZB]
ca = "{trust / "UZB.pem"}"
crl = "{trust / "UZB.crl"}"
country = "ZZ"
organization = "UZB"
families = ["border"]
fields = {UZB_FIELDS!r}
"""
    path = folder / "gateway.toml"
    path.write_text(text.replace("'", '"'))
    return path


@dataclass
class Reply:
    status: int
    root: etree._Element

    @property
    def payload(self) -> etree._Element:
        return self.root.find(f"{{{SOAP_NS}}}Body")[0]

    @property
    def fault_subcode(self) -> str:
        value = self.root.find(f".//{{{SOAP_NS}}}Subcode/{{{SOAP_NS}}}Value")
        return value.text if value is not None else ""


class PartnerClient:
    def __init__(
        self, address: tuple[str, int], hub_ca: Path, cert: CertPair | None,
        passphrase: bytes = b"", *, signing_ca: Path | None = None,
    ) -> None:
        """``hub_ca`` is the hub's TLS CA (the connection); ``signing_ca`` the hub's signing
        CA (the messages), by default ``signing-ca.pem`` beside it as DevPki lays them out."""
        self.address = address
        ctx = ssl.create_default_context(cafile=str(hub_ca))
        if cert is not None:
            ctx.load_cert_chain(cert.cert, cert.key, password=passphrase)
        self.ctx = ctx
        self.hub_ca = hub_ca
        self.signing_ca = signing_ca or hub_ca.with_name("signing-ca.pem")

    def call(
        self,
        operation: str,
        *,
        queue: str = "",
        message_id: str = "",
        body: bytes | None = None,
        content_type: str = CONTENT_TYPE,
    ) -> Reply:
        conn = http.client.HTTPSConnection(*self.address, context=self.ctx, timeout=10)
        try:
            data = (
                body
                if body is not None
                else request_envelope(operation, queue=queue, message_id=message_id)
            )
            conn.request("POST", "/", body=data, headers={"Content-Type": content_type})
            resp = conn.getresponse()
            assert resp.getheader("Content-Type", "").startswith("application/soap+xml")
            return Reply(resp.status, etree.fromstring(resp.read()))
        finally:
            conn.close()

    def get(self, queue: str = "") -> etree._Element | None:
        """The next message (the signed PartnerMessage element), or None when empty."""
        reply = self.call("GetRequest", queue=queue)
        assert reply.status == 200, etree.tostring(reply.root)
        return reply.payload.find(f"{GW}PartnerMessage")

    def ack(self, message_id: str) -> str:
        reply = self.call("AckRequest", message_id=message_id)
        assert reply.status == 200, etree.tostring(reply.root)
        return reply.payload.get("status")

    def verify(self, message: etree._Element) -> etree._Element:
        """What a partner does: check the hub's signature against the hub's signing CA."""
        data = etree.tostring(message)
        return XMLVerifier().verify(data, ca_pem_file=str(self.signing_ca)).signed_xml


def xmlsec1_verify(
    message: etree._Element, signing_ca: Path, folder: Path
) -> subprocess.CompletedProcess:
    """The documented agency recipe: ``xmlsec1 --verify --trusted-pem hub-signing-ca.pem``."""
    path = folder / f"{message.get('messageId')}.xml"
    path.write_bytes(etree.tostring(message))
    return subprocess.run(
        ["xmlsec1", "--verify", "--trusted-pem", str(signing_ca), str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
