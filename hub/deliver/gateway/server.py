"""The gateway's HTTPS server: SOAP 1.2 over mutual TLS, one queue per partner.

Standard library only (``http.server.ThreadingHTTPServer`` + ``ssl``). The TLS
context trusts exactly the partners' pinned CAs and requires a client
certificate, so a client without one, or with one from any other CA, is refused
in the handshake. The handshake runs in the connection's own thread, so a slow
or hostile client cannot stall the accept loop. The partner is then the one
whose pinned CA directly issued the client certificate AND whose configured
subject country and organisation it carries, and whose CRL does not revoke it
(:mod:`hub.deliver.gateway.revocation`); it sees only its own queue. A GET of
``/?wsdl`` or ``/gateway.xsd`` (any client past the handshake) returns the contract
shipped in the package, so a SOAP client can be pointed at the gateway itself.

Every request gets a SOAP fault or a SOAP answer, never the standard library's
HTML error page, and the connection never desynchronises: the body is read in
full (within ``BODY_TIMEOUT_S``) before anything else is checked, so a refused
request leaves nothing behind for the next one on a keep-alive connection; when
the body cannot be read exactly (bad or missing Content-Length, a short body,
an unparsable request line) the fault is sent with ``Connection: close``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from hub.contract import exchange_file
from hub.deliver.gateway.config import GatewayConfig, PartnerRule
from hub.deliver.gateway.queue import AckResult, QueueStore
from hub.deliver.gateway.revocation import RevocationChecker
from hub.deliver.gateway.soap import (
    CONTENT_TYPE,
    Request,
    SoapFault,
    envelope,
    fault,
    parse_request,
    response,
)
from hub.deliver.gateway.stats import stats_from
from hub.errors import ConfigError
from security.keys import resolve_passphrase
from security.safe_xml import parse_untrusted

log = logging.getLogger(__name__)

# A TLS handshake takes milliseconds; a client still silent after this is dropped.
HANDSHAKE_TIMEOUT_S = 10.0
# An idle keep-alive connection is closed after this, freeing its thread.
IDLE_TIMEOUT_S = 30.0
# Requests are tiny (an operation and an id); anything bigger is refused unread.
MAX_REQUEST_BYTES = 64 * 1024
# A body of at most MAX_REQUEST_BYTES arrives within milliseconds of its headers on
# any working link; one still short of its Content-Length after this is answered
# with a fault at once instead of holding the thread until IDLE_TIMEOUT_S.
BODY_TIMEOUT_S = 2.0
# What a GET serves: the contract a SOAP client loads, from the package (the WSDL imports
# gateway.xsd by its relative name, so both sit under the root). Anything else is a fault.
CONTRACT_PATHS = {"/?wsdl": "gateway.wsdl", "/gateway.xsd": "gateway.xsd"}


def tls_context(config: GatewayConfig) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    try:
        password = resolve_passphrase(config.keys_dir, config.key_passphrase)
        ctx.load_cert_chain(config.server_cert, config.server_key, password=password)
        for partner in config.partners:
            ctx.load_verify_locations(cafile=str(partner.ca))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"gateway TLS set-up failed: {exc}") from exc
    return ctx


class PartnerIdentifier:
    """Maps a verified client certificate to the one partner it belongs to."""

    def __init__(self, partners: tuple[PartnerRule, ...]) -> None:
        self._partners = [(p, x509.load_pem_x509_certificate(p.ca.read_bytes())) for p in partners]
        self.revocation = RevocationChecker(
            {p.code: (p.crl, ca) for p, ca in self._partners if p.crl is not None}
        )

    def identify(self, der: bytes | None) -> str | None:
        """The partner, None when unmapped; a SoapFault when its certificate is revoked."""
        if not der:
            return None
        leaf = x509.load_der_x509_certificate(der)
        partner = self._match(leaf)
        if partner is not None:
            self.revocation.check(partner, leaf)
        return partner

    def _match(self, leaf: x509.Certificate) -> str | None:
        for rule, ca in self._partners:
            if leaf.issuer != ca.subject:
                continue
            try:
                leaf.verify_directly_issued_by(ca)
            except (InvalidSignature, ValueError, TypeError):
                continue
            if (
                _attr(leaf, NameOID.COUNTRY_NAME) == rule.country
                and _attr(leaf, NameOID.ORGANIZATION_NAME) == rule.organization
            ):
                return rule.code
        return None


def _attr(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


class GatewayService:
    """The four operations on one partner's queue; raises SoapFault for errors."""

    def __init__(self, store: QueueStore) -> None:
        self.store = store

    def handle(self, partner: str, request: Request) -> Any:
        """The response to one SOAP request of ``partner`` (who may only touch its own queue)."""
        if request.queue and request.queue != partner:
            raise SoapFault(
                f"queue {request.queue} is not yours; your queue is {partner}",
                subcode="AccessDenied",
            )
        operation = {
            "GetRequest": self._get,
            "AckRequest": self._ack,
            "GetStatusRequest": self._status,
        }.get(request.operation, self._statistics)
        return operation(partner, request)

    def _get(self, partner: str, request: Request) -> Any:
        delivery = self.store.get(partner)
        if delivery is None:
            return response("GetResponse", queue=partner)
        out = response(
            "GetResponse",
            queue=partner,
            deliveries=delivery.deliveries,
            expiresAt=f"{delivery.expires_at:.0f}",
        )
        out.append(parse_untrusted(delivery.body))
        return out

    def _ack(self, partner: str, request: Request) -> Any:
        result = self.store.ack(partner, request.message_id)
        if result is AckResult.UNKNOWN:
            raise SoapFault(
                f"no message {request.message_id} in queue {partner}", subcode="UnknownMessage"
            )
        if result is AckResult.EXPIRED:
            raise SoapFault(
                f"message {request.message_id} expired before it was acknowledged",
                subcode="MessageExpired",
            )
        return response("AckResponse", messageId=request.message_id, status=result.value)

    def _status(self, partner: str, request: Request) -> Any:
        status = self.store.status(partner, request.message_id)
        if status is None:
            raise SoapFault(
                f"no message {request.message_id} in queue {partner}", subcode="UnknownMessage"
            )
        return response(
            "GetStatusResponse",
            messageId=status.message_id,
            eventId=status.event_id,
            status=status.status.value,
            deliveries=status.deliveries,
            enqueuedAt=f"{status.enqueued_at:.0f}",
            expiresAt=f"{status.expires_at:.0f}",
        )

    def _statistics(self, partner: str, request: Request) -> Any:
        with self.store._lock:
            stats = stats_from(self.store.db, self.store.clock(), partner)
        s = stats[0] if stats else None
        return response(
            "QueueStatisticsResponse",
            queue=partner,
            pending=s.pending if s else 0,
            delivered=s.delivered if s else 0,
            acknowledged=s.acknowledged if s else 0,
            expired=s.expired if s else 0,
            oldestPendingAgeSeconds=(
                f"{s.oldest_pending_age_s:.0f}"
                if s and s.oldest_pending_age_s is not None
                else None
            ),
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: GatewayHTTPServer
    timeout = IDLE_TIMEOUT_S

    def do_POST(self) -> None:
        try:
            data = self._read_body()
            partner = self.server.identifier.identify(self.connection.getpeercert(binary_form=True))
            if partner is None:
                raise SoapFault(
                    "client certificate is not mapped to a partner", subcode="AccessDenied"
                )
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype != "application/soap+xml":
                raise SoapFault(
                    f"content type must be application/soap+xml, not {ctype!r}",
                    subcode="MalformedRequest",
                )
            request = parse_request(data)
            body = envelope(self.server.service.handle(partner, request))
            self._send(200, body)
        except SoapFault as exc:
            self._send(exc.http_status, fault(exc))
        except Exception as exc:  # never leak a stack trace to a partner
            log.exception("gateway request failed")
            self.close_connection = True  # the stream's state is unknown
            self._send(
                500,
                fault(
                    SoapFault(
                        f"internal error ({type(exc).__name__})",
                        subcode="InternalError",
                        code="Receiver",
                    )
                ),
            )

    def _read_body(self) -> bytes:
        """The whole body, exactly Content-Length bytes, or a fault that closes the connection."""
        raw = self.headers.get("Content-Length")
        chunked = self.headers.get("Transfer-Encoding") is not None
        try:
            length = int(raw) if raw is not None and not chunked else -1
        except ValueError:
            length = -1
        if not 0 < length <= MAX_REQUEST_BYTES:
            self.close_connection = True
            raise SoapFault(
                f"request body must be 1..{MAX_REQUEST_BYTES} bytes with a Content-Length "
                f"(got {raw!r})", subcode="MalformedRequest",
            )
        self.connection.settimeout(BODY_TIMEOUT_S)
        try:
            data = self.rfile.read(length)
        except OSError:  # TimeoutError included: the body stopped short
            data = b""
        finally:
            self.connection.settimeout(IDLE_TIMEOUT_S)
        if len(data) != length:
            self.close_connection = True
            raise SoapFault(
                f"request body shorter than its Content-Length {length} "
                f"(nothing more within {BODY_TIMEOUT_S:.0f} s)", subcode="MalformedRequest",
            )
        return data

    def do_GET(self) -> None:
        self.close_connection = True  # a GET's body (if any) is never read
        contract = CONTRACT_PATHS.get(self.path.lower())
        if contract is not None:
            self._send(200, exchange_file(contract).read_bytes(), "application/xml")
            return
        self._send(
            405, fault(SoapFault("use POST with a SOAP 1.2 envelope", subcode="MalformedRequest"))
        )

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own errors (bad request line, unknown method, headers too
        long) as a SOAP fault instead of its HTML page; the connection is closed after it."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # unparsable request line: answer as HTTP/1.1
            self.request_version = "HTTP/1.1"
        reason = message or self.responses.get(code, ("error",))[0]
        self._send(code, fault(SoapFault(f"{reason} ({code})", subcode="MalformedRequest")))

    def _send(self, status: int, body: bytes, content_type: str = CONTENT_TYPE) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


class GatewayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        context: ssl.SSLContext,
        identifier: PartnerIdentifier,
        service: GatewayService,
    ) -> None:
        super().__init__(address, _Handler)
        self.context = context
        self.identifier = identifier
        self.service = service

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDSHAKE_TIMEOUT_S)
        try:
            tls = self.context.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        except OSError:
            return
        try:
            tls.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            log.warning("TLS handshake refused from %s: %s", client_address[0], exc)
            tls.close()
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                tls.shutdown(socket.SHUT_RDWR)
            tls.close()


class GatewayServer:
    """The server on a background thread: what ``mhub gateway serve`` and the tests start."""

    def __init__(
        self, config: GatewayConfig, store: QueueStore, *, port: int | None = None
    ) -> None:
        self.httpd = GatewayHTTPServer(
            (config.host, config.port if port is None else port),
            tls_context(config),
            PartnerIdentifier(config.partners),
            GatewayService(store),
        )
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="gateway-https", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"https://{host}:{port}/"

    def start(self) -> GatewayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
