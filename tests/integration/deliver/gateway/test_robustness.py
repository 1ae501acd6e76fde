"""The gateway under hostile or broken clients: every request gets a SOAP answer or the
connection closes, never a desynchronised stream; short bodies fail fast; settled rows
are purged; revoked client certificates are refused. Real TLS server, real sockets,
real SQLite; no broker needed."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from hub.deliver.gateway.config import load_config
from hub.deliver.gateway.queue import (
    PURGE_INTERVAL_S,
    AckResult,
    NewMessage,
    QueueStore,
    new_message_id,
)
from hub.deliver.gateway.server import BODY_TIMEOUT_S, GatewayServer
from hub.deliver.gateway.soap import CONTENT_TYPE, SOAP_NS, request_envelope
from security.keys import write_cert, write_private_key
from security.pki import CertPair, issue_cert, new_key
from tests.support import devpki
from tests.support.partner_client import PartnerClient, write_config
from tests.support.reliability import record_outcome

AREA = "partner gateway"
GW_NS = "{urn:kz:mhub:gateway:1}"


@dataclass
class Running:
    pki: devpki.PkiFiles
    server: GatewayServer
    store: QueueStore
    folder: Path

    def raw(self, code: str = "KGZ", cert: CertPair | None = None) -> RawConnection:
        return RawConnection(self, cert or self.pki.client(code))

    def client(self, cert: CertPair) -> PartnerClient:
        return PartnerClient(self.server.address, self.pki.hub_ca, cert, self.pki.passphrase)


class RawConnection:
    """One TLS connection on which the test writes bytes and reads HTTP/1.1 responses."""

    def __init__(self, gw: Running, cert: CertPair) -> None:
        ctx = ssl.create_default_context(cafile=str(gw.pki.hub_ca))
        ctx.load_cert_chain(cert.cert, cert.key, password=gw.pki.passphrase)
        sock = socket.create_connection(gw.server.address, timeout=10)
        self.sock = ctx.wrap_socket(sock, server_hostname="localhost")
        self.reader = self.sock.makefile("rb")

    def send(self, body: bytes, *, content_type: str = CONTENT_TYPE,
             length: int | None = None, head: bytes | None = None) -> None:
        head = head or (
            f"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + body)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        status_line = self.reader.readline()
        assert status_line, "connection closed without a response"
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self.reader.read(int(headers.get("content-length", "0")))
        return status, headers, body

    def closed_by_server(self) -> bool:
        return self.reader.read(1) == b""

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def fault_subcode(body: bytes) -> str:
    root = etree.fromstring(body)
    return root.findtext(f".//{{{SOAP_NS}}}Subcode/{{{SOAP_NS}}}Value") or ""


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Running]:
    pki = devpki.create(tmp_path, ["KGZ", "UZB"])
    config = load_config(write_config(tmp_path, pki))
    store = QueueStore(config.db, visibility_timeout_s=60, retention_s=3_600,
                       acked_retention_s=config.acked_retention_s)
    server = GatewayServer(config, store).start()
    yield Running(pki, server, store, tmp_path)
    server.stop()
    store.close()


class TestKeepAlive:
    def test_wrong_content_type_then_valid_request_on_one_socket(self, gw: Running) -> None:
        conn = gw.raw()
        try:
            conn.send(b"<not-soap>hello previous body</not-soap>", content_type="text/plain")
            status, headers, body = conn.response()
            assert status == 400 and headers["content-type"].startswith("application/soap+xml")
            assert fault_subcode(body) == "gw:MalformedRequest"
            conn.send(request_envelope("QueueStatisticsRequest"))
            status, headers, body = conn.response()
            assert status == 200, body
            assert b"previous body" not in body and b"<html" not in body.lower()
            assert etree.fromstring(body).find(f".//{GW_NS}QueueStatisticsResponse") is not None
        finally:
            conn.close()
        record_outcome(AREA, "wrong Content-Type, then a valid request on the same keep-alive "
                       "TLS connection", "SOAP fault 400 MalformedRequest, then 200 SOAP answer; "
                       "no HTML, no echo of the previous body")

    def test_garbage_request_line_gets_soap_fault_and_close(self, gw: Running) -> None:
        conn = gw.raw()
        try:
            conn.send(b"", head=b"HELLO THERE\r\n\r\n")
            status, headers, body = conn.response()
            assert status == 400 and headers["content-type"].startswith("application/soap+xml")
            assert headers.get("connection") == "close"
            assert fault_subcode(body) == "gw:MalformedRequest"
            assert conn.closed_by_server()
        finally:
            conn.close()
        record_outcome(AREA, "unparsable request line", "SOAP fault 400 and Connection: close "
                       "(no HTML error page)")

    def test_missing_content_length_closes(self, gw: Running) -> None:
        conn = gw.raw()
        try:
            head = (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + CONTENT_TYPE.encode()
                    + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
            conn.send(b"5\r\nhello\r\n0\r\n\r\n", head=head)
            status, headers, _ = conn.response()
            assert status == 400 and headers.get("connection") == "close"
            assert conn.closed_by_server()
        finally:
            conn.close()
        record_outcome(AREA, "chunked body without Content-Length",
                       "SOAP fault 400 MalformedRequest and the connection closed")


class TestShortBody:
    def test_short_body_gets_fault_quickly(self, gw: Running) -> None:
        conn = gw.raw()
        try:
            data = request_envelope("QueueStatisticsRequest")
            started = time.monotonic()
            conn.send(data[:20], length=len(data))
            status, headers, body = conn.response()
            took = time.monotonic() - started
            assert status == 400 and fault_subcode(body) == "gw:MalformedRequest"
            assert b"shorter than its Content-Length" in body
            assert headers.get("connection") == "close"
            assert BODY_TIMEOUT_S * 0.9 <= took < BODY_TIMEOUT_S + 5
        finally:
            conn.close()
        record_outcome(AREA, "body shorter than its Content-Length",
                       f"SOAP fault 400 after {took:.1f} s (BODY_TIMEOUT_S), connection closed")


class Clock:
    def __init__(self) -> None:
        self.now = 1_770_000_000.0

    def __call__(self) -> float:
        return self.now


class TestPurge:
    def test_settled_rows_deleted_after_retention(self, tmp_path: Path) -> None:
        clock = Clock()
        store = QueueStore(tmp_path / "q.sqlite", visibility_timeout_s=60, retention_s=600,
                           acked_retention_s=3_600, clock=clock)
        try:
            msgs = [NewMessage("KGZ", f"e{i}", 1, "border", "border.crossing",
                               new_message_id(), b"<m/>") for i in range(3)]
            store.enqueue(msgs, {})
            first = store.get("KGZ")
            assert first is not None
            assert store.ack("KGZ", first.message_id) is AckResult.ACKNOWLEDGED
            clock.now += 601  # the other two expire unacknowledged
            assert store.purge() == 0  # settled, but not yet for the acked retention
            clock.now += 3_600
            assert store.purge() == 3
            count = store.db.execute("SELECT count(*) FROM message").fetchone()[0]
            assert count == 0
            # purging also runs on the partners' own calls, at most once per interval
            store.enqueue([NewMessage("KGZ", "e9", 1, "border", "t", new_message_id(), b"<m/>")],
                          {})
            got = store.get("KGZ")
            assert got is not None
            store.ack("KGZ", got.message_id)
            clock.now += 3_600 + PURGE_INTERVAL_S
            assert store.get("KGZ") is None
            assert store.db.execute("SELECT count(*) FROM message").fetchone()[0] == 0
        finally:
            store.close()
        record_outcome(AREA, "acknowledged and expired rows after the acked retention",
                       "deleted (queue.acked_retention_days; purge at most once per minute)")

    def test_retention_is_a_setting(self, tmp_path: Path) -> None:
        pki = devpki.create(tmp_path, ["KGZ", "UZB"])
        config = load_config(write_config(tmp_path, pki, acked_retention_days=2))
        assert config.acked_retention_s == 2 * 86_400


class TestRevocation:
    def _new_client(self, gw: Running, name: str) -> tuple[CertPair, object]:
        pki = gw.pki.pki
        ca_key, ca_cert = pki.load_pair(pki.partners["KGZ"].ca)
        key = new_key("ec")
        cert = issue_cert(key.public_key(), subject_cn="KGZ gateway client", org="KGZ",
                          usage="tls-client", issuer_cert=ca_cert, issuer_key=ca_key)
        pair = CertPair(gw.folder / name / "c.pem", gw.folder / name / "c.key")
        write_private_key(pair.key, key, pki.passphrase)
        write_cert(pair.cert, cert)
        return pair, cert

    def test_revoked_certificate_refused_others_served(self, gw: Running) -> None:
        revoked, cert = self._new_client(gw, "revoked")
        good, _ = self._new_client(gw, "good")
        assert gw.client(revoked).call("QueueStatisticsRequest").status == 200
        gw.pki.pki.issue_partner_crl("KGZ", (cert,))  # re-read without a restart
        reply = gw.client(revoked).call("QueueStatisticsRequest")
        assert reply.status == 400 and reply.fault_subcode == "gw:AccessDenied"
        assert b"revoked" in etree.tostring(reply.root)
        assert gw.client(good).call("QueueStatisticsRequest").status == 200
        record_outcome(AREA, "partner client certificate revoked by the partner's CRL",
                       "SOAP fault AccessDenied (revoked); other certificates still served; "
                       "new CRL picked up without restart")

    def test_expired_or_forged_crl_fails_closed(self, gw: Running) -> None:
        good, _ = self._new_client(gw, "good")
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        gw.pki.pki.issue_partner_crl("KGZ", next_update=past)
        reply = gw.client(good).call("QueueStatisticsRequest")
        assert reply.status == 400 and b"expired" in etree.tostring(reply.root)
        crl = gw.pki.trust_dir / "partners" / "KGZ.crl"
        crl.write_bytes((gw.pki.trust_dir / "partners" / "UZB.crl").read_bytes())
        reply = gw.client(good).call("QueueStatisticsRequest")
        assert reply.status == 400 and b"not signed by the partner" in etree.tostring(reply.root)
        record_outcome(AREA, "partner CRL expired, or signed by another CA",
                       "fail closed: SOAP fault AccessDenied naming the reason")
