"""The agency simulators: one real HTTP(S) server, the four families under path prefixes.

    GET  /interior/records?updated_since=&until=&page_token=&limit=   REST, XML pages
    GET  /labour/records?...                                    same protocol
    GET  /statistics/data/{flow}/{key}?startPeriod=&endPeriod=&updatedAfter=
                                                                SDMX 2.1 REST, SDMX-ML
    POST /partner/{STATE}/ws                                    SOAP 1.2 Get / Ack (SMEV 3 style)
    GET  /health
    POST /admin/grow    {"feed": "interior", "count": 100}     agencies publish more
    POST /admin/faults  FaultPlan as JSON                       transport faults from now on
    POST /admin/lease   {"seconds": 0.5}                        partner redelivery lease
    POST /admin/drop    {"files": 3}                            write labour batch files
    GET  /admin/stats                                           what was served, acked, faulted

REST paging: records are ordered by ``updatedAt`` (strictly increasing per feed);
``updated_since`` selects records updated strictly after it, ``until`` (a
backfill's window end, sent with every page of the scan) those updated at or
before it; the reply carries
``X-Next-Page-Token`` while more records follow. Page tokens are stable: a
client that restarts with a token gets the same page. A record that is not a
well-formed document (hostile XML) is served alone as a page of its own, its
bytes as the body, so its neighbours stay readable.

Partner queues keep each message until it is acknowledged; a fetched message
is leased for ``lease_s`` and delivered again if not acknowledged by then. A
``GetRequest`` with ``SentAfter`` / ``SentUntil`` is a replay from the partner's
archive: the messages sent in that interval, acknowledged or not, in order,
``MaxMessages`` at a time (``PageToken`` / the reply's ``nextPageToken``), no lease.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import socket
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from infra.agencies import statistics as stats
from infra.agencies.faults import FaultInjector, FaultPlan
from infra.agencies.filedrop import FileDropWriter
from infra.agencies.generator import HOSTILE, Generator, GeneratorConfig
from security.errors import UnsafeXmlError
from security.safe_xml import parse_untrusted

SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
SMEV_NS = "urn:kz:mhub:smev:1"
REST_FAMILIES = ("interior", "labour")
# Largest page a client may ask for: bounds the server's memory per request.
MAX_PAGE_LIMIT = 5_000
DEFAULT_PAGE_LIMIT = 500
# Partner messages per Get at most (SMEV 3 hands out one; batches keep tests fast).
MAX_GET_MESSAGES = 1_000
# A fetched, unacknowledged partner message is delivered again after this long.
DEFAULT_LEASE_S = 60.0
# Request bodies (SOAP Get/Ack, admin JSON) are small; refuse anything bigger.
MAX_REQUEST_BYTES = 1024 * 1024

#: (partner state, document) -> the document signed by that partner
Signer = Callable[[str, bytes], bytes]


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Server certificate and key; with ``client_ca`` the server requires client certificates."""

    cert: str
    key: str
    client_ca: str | None = None

    def context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert, self.key)
        if self.client_ca:
            ctx.load_verify_locations(self.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx


def encode_token(feed: str, index: int) -> str:
    return base64.urlsafe_b64encode(f"{feed}:{index}".encode()).decode().rstrip("=")


def decode_token(feed: str, token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        tfeed, idx = raw.rsplit(":", 1)
        if tfeed != feed:
            raise ValueError(raw)
        return int(idx)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise ValueError(f"invalid page token {token!r}") from exc


def message_id(gen: Generator, feed: str, index: int) -> str:
    """A time-based (version 1) UUID as SMEV 3 uses; the node field carries the index."""
    ts = gen.updated_at(feed, index)
    ticks = int((ts.timestamp() + 12_219_292_800) * 10_000_000)  # since 1582-10-15
    clock = int.from_bytes(hashlib.blake2b(feed.encode(), digest_size=2).digest(), "big") & 0x3FFF
    u = uuid.UUID(
        fields=(
            ticks & 0xFFFFFFFF,
            (ticks >> 32) & 0xFFFF,
            ((ticks >> 48) & 0x0FFF) | 0x1000,
            (clock >> 8) | 0x80,
            clock & 0xFF,
            index,
        )
    )
    return str(u)


def message_index(mid: str) -> int | None:
    try:
        u = uuid.UUID(mid)
    except ValueError:
        return None
    return u.node if u.version == 1 else None


class PartnerQueue:
    """One partner's outgoing queue: messages stay until acknowledged."""

    def __init__(self, feed: str, lease_s: float) -> None:
        self.feed = feed
        self.lease_s = lease_s
        self.floor = 0  # every index below is acknowledged
        self.acked: set[int] = set()  # acknowledged indices >= floor
        self.leases: dict[int, float] = {}  # index -> monotonic expiry
        self.delivered = 0
        self.redelivered = 0
        self._ever_leased: set[int] = set()

    def get(self, available: int, limit: int, now: float) -> list[int]:
        out: list[int] = []
        i = self.floor
        while i < available and len(out) < limit:
            if i not in self.acked and self.leases.get(i, 0.0) <= now:
                out.append(i)
            i += 1
        for i in out:
            if i in self.leases:
                self.redelivered += 1
            self.leases[i] = now + self.lease_s
        self.delivered += len(out)
        return out

    def ack(self, index: int, available: int) -> str:
        if index >= available:
            return "UNKNOWN"
        if index < self.floor or index in self.acked:
            return "ALREADY_ACKNOWLEDGED"
        self.acked.add(index)
        self.leases.pop(index, None)
        while self.floor in self.acked:
            self.acked.discard(self.floor)
            self.floor += 1
        return "ACCEPTED"

    def depth(self, available: int) -> int:
        return available - self.floor - len(self.acked)


class SimulatorState:
    """Everything the simulated agencies know; shared by the handler threads."""

    def __init__(
        self,
        generator: Generator,
        *,
        counts: dict[str, int] | None = None,
        statistics_periods: int = 24,
        signer: Signer | None = None,
        lease_s: float = DEFAULT_LEASE_S,
        drop_dir: Path | None = None,
        drop_batch: int = 200,
    ) -> None:
        self.generator = generator
        self.counts: dict[str, int] = dict(counts or {})
        self.statistics = stats.MigrationStatistics(generator.config.seed, statistics_periods)
        self.signer = signer
        self.lease_s = lease_s
        self.faults = FaultInjector()
        self.lock = threading.Lock()
        self.queues: dict[str, PartnerQueue] = {}
        self.requests: dict[str, int] = {}
        self.filedrop = FileDropWriter(generator, drop_dir, drop_batch) if drop_dir else None

    def count(self, feed: str) -> int:
        return self.counts.get(feed, 0)

    def grow(self, feed: str, count: int) -> int:
        with self.lock:
            if feed == "statistics":
                self.statistics.published += count
                return self.statistics.published
            self.counts[feed] = self.counts.get(feed, 0) + count
            return self.counts[feed]

    def queue(self, state: str) -> PartnerQueue:
        feed = f"partner:{state}"
        with self.lock:
            q = self.queues.get(feed)
            if q is None:
                q = self.queues[feed] = PartnerQueue(feed, self.lease_s)
            return q

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "counts": dict(self.counts),
                "statistics_published": self.statistics.published,
                "requests": dict(self.requests),
                "faults": dict(self.faults.injected),
                "queues": {
                    f: {
                        "floor": q.floor,
                        "depth": q.depth(self.count(f)),
                        "delivered": q.delivered,
                        "redelivered": q.redelivered,
                        "leased": len(q.leases),
                    }
                    for f, q in self.queues.items()
                },
            }


class _Abort(Exception):
    """The handler dropped the connection on purpose (injected fault)."""


class AgencyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: AgencyHTTPServer
    server_version = "AgencySimulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    @property
    def state(self) -> SimulatorState:
        return self.server.state

    # --- dispatch ---------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        self._fault: str | None = None
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = b""
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self._reply(413, b"request too large", "text/plain")
                return
            body = self.rfile.read(length)
        parts = [p for p in path.split("/") if p]
        family = parts[0] if parts else ""
        with self.state.lock:
            self.state.requests[family] = self.state.requests.get(family, 0) + 1
        try:
            if family == "admin":
                self._admin(method, parts[1:], body)
                return
            if family == "health":
                self._reply(200, b'{"ok": true}', "application/json")
                return
            key = f"{method} {self.path} {hashlib.sha256(body).hexdigest()[:16]}"
            self._fault = self.state.faults.decide(key, path)
            if self._fault in ("timeout", "reset", "500", "503", "429"):
                self._inject_early(self._fault)
                return
            if family in REST_FAMILIES and parts[1:] == ["records"] and method == "GET":
                self._rest_page(family, query)
            elif family == "statistics" and len(parts) == 4 and parts[1] == "data":
                self._sdmx(parts[2], parts[3], query)
            elif family == "partner" and len(parts) == 3 and parts[2] == "ws" and method == "POST":
                self._soap(parts[1].upper(), body)
            else:
                self._reply(404, f"no such resource: {path}".encode(), "text/plain")
        except _Abort:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # --- faults -----------------------------------------------------------------

    def _inject_early(self, kind: str) -> None:
        plan = self.state.faults.plan
        if kind == "timeout":
            time.sleep(plan.timeout_s)
            self._drop()
        elif kind == "reset":
            self._drop()
        elif kind == "429":
            self._reply(
                429, b"too many requests", "text/plain", {"Retry-After": str(plan.retry_after_s)}
            )
        else:
            self._reply(int(kind), f"simulated {kind}".encode(), "text/plain")

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        raise _Abort

    # --- replies ----------------------------------------------------------------

    def _reply(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        fault = getattr(self, "_fault", None)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if status < 400 and fault == "truncated":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self._drop()
        if status < 400 and fault == "slow":
            steps = 5
            chunk = max(1, len(body) // steps + 1)
            for k in range(0, len(body), chunk):
                self.wfile.write(body[k : k + chunk])
                self.wfile.flush()
                time.sleep(self.state.faults.plan.slow_s / steps)
            return
        self.wfile.write(body)

    def _reply_stream(self, status: int, chunks: Iterable[bytes], ctype: str) -> None:
        """Chunked transfer encoding: the body is never held whole."""
        fault = getattr(self, "_fault", None)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for n, chunk in enumerate(chunks):
            if not chunk:
                continue
            if fault == "truncated" and n >= 2:
                self.wfile.flush()
                self._drop()
            if fault == "slow":
                time.sleep(self.state.faults.plan.slow_s / 10)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    # --- REST -------------------------------------------------------------------

    def _rest_page(self, feed: str, query: dict[str, str]) -> None:
        gen = self.state.generator
        count = self.state.count(feed)
        try:
            limit = min(MAX_PAGE_LIMIT, max(1, int(query.get("limit", DEFAULT_PAGE_LIMIT))))
            if query.get("until"):  # records updated at or before the window's end only
                count = min(count, gen.first_index_after(feed, _parse_time(query["until"])))
            if query.get("page_token"):
                start = decode_token(feed, query["page_token"])
            else:
                since = query.get("updated_since")
                start = gen.first_index_after(feed, _parse_time(since) if since else None)
        except ValueError as exc:
            self._reply(400, str(exc).encode(), "text/plain")
            return
        headers: dict[str, str] = {}
        if start < count and gen.kind(feed, start)[0] == HOSTILE:
            end = start + 1
            body = gen.record(feed, start)
        else:
            end = start
            stop = min(count, start + limit)
            while end < stop and gen.kind(feed, end)[0] != HOSTILE:
                end += 1
            records = b"".join(gen.record(feed, i) for i in range(start, end))
            body = (
                (
                    f'<?xml version="1.0" encoding="UTF-8"?>\n<RecordPage feed="{feed}" '
                    f'first="{start}" count="{end - start}">'
                ).encode()
                + records
                + b"</RecordPage>"
            )
        if end > start:
            headers["X-Page-Max-Updated-At"] = _iso(gen.updated_at(feed, end - 1))
        if end < count:
            headers["X-Next-Page-Token"] = encode_token(feed, end)
        self._reply(200, body, "application/xml; charset=utf-8", headers)

    # --- SDMX -------------------------------------------------------------------

    def _sdmx(self, flow: str, key: str, query: dict[str, str]) -> None:
        flow_id = flow.split(",")[1] if "," in flow else flow
        if flow_id != stats.FLOW:
            self._reply(404, f"No Results Found: dataflow {flow}".encode(), "text/plain")
            return
        accept = self.headers.get("Accept", "")
        fmt = stats.GENERIC if "genericdata" in accept else stats.STRUCTURE_SPECIFIC
        fmt = query.get("format", fmt)
        st = self.state.statistics
        try:
            updated_after = _parse_time(query["updatedAfter"]) if "updatedAfter" in query else None
            series = st.query(
                key,
                start_period=query.get("startPeriod"),
                end_period=query.get("endPeriod"),
                updated_after=updated_after,
            )
            first = next(series, None)
        except ValueError as exc:
            self._reply(400, f"Semantic Error: {exc}".encode(), "text/plain")
            return
        if first is None:
            # SDMX REST answers an empty result with 404 "No Results Found".
            self._reply(404, b"No Results Found", "text/plain")
            return

        def all_series() -> Iterator[tuple[stats.SeriesKey, list[stats.Obs]]]:
            yield first
            yield from series

        chunks = (c.encode() for c in stats.write_message(all_series(), st.prepared(), fmt))
        self._reply_stream(200, chunks, stats.MEDIA_TYPES[fmt])

    # --- SOAP (partner) ------------------------------------------------------------

    def _soap(self, state: str, body: bytes) -> None:
        try:
            env = parse_untrusted(body)
        except UnsafeXmlError as exc:
            self._soap_fault(400, "soap:Sender", f"unreadable request: {exc}")
            return
        req = env.find(f"{{{SOAP_NS}}}Body/*")
        if req is None or req.tag not in (f"{{{SMEV_NS}}}GetRequest", f"{{{SMEV_NS}}}AckRequest"):
            self._soap_fault(400, "soap:Sender", "expected GetRequest or AckRequest")
            return
        feed = f"partner:{state}"
        queue = self.state.queue(state)
        available = self.state.count(feed)
        if req.tag.endswith("GetRequest"):
            limit = min(MAX_GET_MESSAGES, int(req.findtext(f"{{{SMEV_NS}}}MaxMessages") or 1))
            if req.find(f"{{{SMEV_NS}}}SentUntil") is not None:
                self._replay(state, feed, req, limit, available)
                return
            with self.state.lock:
                indices = queue.get(available, limit, time.monotonic())
            self._soap_reply(self._get_response(state, feed, indices))
            return
        statuses = []
        for target in req.findall(f"{{{SMEV_NS}}}AckTargetMessage"):
            mid = (target.text or "").strip()
            idx = message_index(mid)
            with self.state.lock:
                status = "UNKNOWN" if idx is None else queue.ack(idx, available)
            statuses.append(f'<Acknowledged messageId="{mid}" status="{status}"/>')
        self._soap_reply(f'<AckResponse xmlns="{SMEV_NS}">{"".join(statuses)}</AckResponse>')

    def _replay(self, state: str, feed: str, req: Any, limit: int, available: int) -> None:
        """A window of the archive: messages with ``SentAfter < sentAt <= SentUntil``."""
        gen = self.state.generator
        try:
            after = _parse_time(req.findtext(f"{{{SMEV_NS}}}SentAfter") or "")
            until = _parse_time(req.findtext(f"{{{SMEV_NS}}}SentUntil") or "")
            token = req.findtext(f"{{{SMEV_NS}}}PageToken")
            first = decode_token(feed, token) if token else gen.first_index_after(feed, after)
        except ValueError as exc:
            self._soap_fault(400, "soap:Sender", f"bad replay request: {exc}")
            return
        stop = min(available, gen.first_index_after(feed, until))
        indices = list(range(first, min(stop, first + limit)))
        following = first + len(indices)
        next_token = encode_token(feed, following) if following < stop else None
        self._soap_reply(self._get_response(state, feed, indices, next_token))

    def _get_response(
        self, state: str, feed: str, indices: list[int], next_token: str | None = None
    ) -> str:
        gen = self.state.generator
        attr = f' nextPageToken="{next_token}"' if next_token else ""
        out = [f'<GetResponse xmlns="{SMEV_NS}"{attr}>']
        for i in indices:
            truth = gen.ground_truth(feed, i)
            doc = gen.record(feed, i)
            head = (
                f'<Message messageId="{message_id(gen, feed, i)}" sender="{state}" '
                f'sentAt="{truth.updated_at}">'
            )
            if truth.outcome == HOSTILE:
                # Not embeddable as XML: sent as an attachment, as SMEV 3 allows.
                content = (
                    '<AttachmentContent mimeType="application/xml">'
                    f"{base64.b64encode(doc).decode()}</AttachmentContent>"
                )
            else:
                if self.state.signer is not None:
                    doc = self.state.signer(state, doc)
                content = f"<PrimaryContent>{_strip_declaration(doc).decode()}</PrimaryContent>"
            out.append(head + content + "</Message>")
        out.append("</GetResponse>")
        return "".join(out)

    def _soap_reply(self, inner: str, status: int = 200) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP_NS}">'
            f"<soap:Body>{inner}</soap:Body></soap:Envelope>"
        ).encode()
        self._reply(status, body, "application/soap+xml; charset=utf-8")

    def _soap_fault(self, status: int, code: str, reason: str) -> None:
        self._soap_reply(
            f"<soap:Fault><soap:Code><soap:Value>{code}</soap:Value></soap:Code>"
            f'<soap:Reason><soap:Text xml:lang="en">{_esc(reason)}</soap:Text></soap:Reason>'
            "</soap:Fault>",
            status,
        )

    # --- admin ------------------------------------------------------------------

    def _admin(self, method: str, parts: list[str], body: bytes) -> None:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            self._reply(400, b"admin bodies are JSON", "text/plain")
            return
        st = self.state
        try:
            if parts == ["stats"]:
                result: Any = st.snapshot()
            elif parts == ["grow"] and method == "POST":
                result = {"count": st.grow(data["feed"], int(data["count"]))}
            elif parts == ["faults"] and method == "POST":
                st.faults.set_plan(FaultPlan.from_dict(data))
                result = st.faults.plan.to_dict()
            elif parts == ["lease"] and method == "POST":
                st.lease_s = float(data["seconds"])
                for q in st.queues.values():
                    q.lease_s = st.lease_s
                result = {"lease_s": st.lease_s}
            elif parts == ["drop"] and method == "POST" and st.filedrop is not None:
                result = {"files": [p.name for p in st.filedrop.write(int(data["files"]))]}
            else:
                self._reply(404, b"unknown admin call", "text/plain")
                return
        except (KeyError, TypeError, ValueError) as exc:
            self._reply(400, f"bad admin request: {exc}".encode(), "text/plain")
            return
        self._reply(200, json.dumps(result).encode(), "application/json")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _strip_declaration(doc: bytes) -> bytes:
    if doc.startswith(b"<?xml"):
        return doc[doc.index(b"?>") + 2 :].lstrip()
    return doc


def _parse_time(value: str) -> datetime:
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        raise ValueError(f"timestamp without time zone: {value!r}")
    return ts


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


class AgencyHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Connections the OS queues while all handler threads are busy.
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], state: SimulatorState, verbose: bool) -> None:
        super().__init__(address, AgencyHandler)
        self.state = state
        self.verbose = verbose

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (a timeout, a killed task) is normal here."""
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


class AgencySimulator:
    """The server plus its state, started in a background thread (tests, demo, bench)."""

    def __init__(
        self,
        generator: Generator | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TlsFiles | None = None,
        verbose: bool = False,
        **state_options: Any,
    ) -> None:
        self.generator = generator or Generator(GeneratorConfig())
        self.state = SimulatorState(self.generator, **state_options)
        self.httpd = AgencyHTTPServer((host, port), self.state, verbose)
        self.tls = tls
        if tls is not None:
            self.httpd.socket = tls.context().wrap_socket(self.httpd.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def start(self) -> AgencySimulator:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.5)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> AgencySimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # conveniences used by tests and the CLI
    def grow(self, feed: str, count: int) -> int:
        return self.state.grow(feed, count)

    def set_faults(self, plan: FaultPlan | None) -> None:
        self.state.faults.set_plan(plan or FaultPlan())
