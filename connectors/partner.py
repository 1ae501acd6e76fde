"""CIS partners: SOAP 1.2 ``Get`` / ``Ack`` exchange in the style of SMEV 3.

A partner keeps each message in its queue until the hub acknowledges it. The
connector fetches with ``GetRequest`` in :meth:`poll` and acknowledges with
``AckRequest`` only in :meth:`commit`, which the hub calls after the page's
records are durably published. A crash in between leaves the messages queued;
the partner delivers them again and nothing is lost.

A message delivered twice is handled once: the position remembers the ids of
recent messages (``seen``); a redelivered one is not emitted again but is still
acknowledged. ``commit(position)`` needs nothing but the position (the ids in
``ack``), so another connector instance (another Airflow task) can commit it.

Documents arrive inline (``PrimaryContent``, signed by the partner with an
enveloped XMLDSig; verification is the hub's verify stage) or as a base64
attachment (``AttachmentContent``) when the partner could not embed them.

Window (backfill): ``GetRequest`` carries ``SentAfter`` / ``SentUntil`` and the
partner re-sends from its archive the messages it sent in that interval (the
notice time ``sentAt``), acknowledged or not, page by page (``PageToken``, the
reply's ``nextPageToken``); nothing is leased. Their Acks are idempotent.

Position::

    {"seen": ["<message id>", ...],   # recent ids, newest last, bounded
     "ack": ["<message id>", ...],    # ids fetched by this page, acknowledged on commit
     "page_token": "..." | null}      # windowed runs only: the archive page to read next
"""

from __future__ import annotations

import base64
import binascii
import copy
import time
from xml.sax.saxutils import escape

from lxml import etree

from connectors.base import Page, Position, RawRecord, Window
from connectors.errors import SourceRejected, SourceUnavailable
from connectors.http import HttpSourceConnector, HttpTransport, TransportConfig
from connectors.xmlstream import SMEV_NS, SOAP_NS
from security.errors import UnsafeXmlError
from security.safe_xml import parse_untrusted

SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
# Messages per Get: a partner page of ~100 signed documents (~300 KB).
DEFAULT_PAGE_SIZE = 100
# Ids remembered for redelivery detection. Redeliveries come from the last few
# pages (a lease that expired before the Ack); 20 pages of 100 cover that many
# times over and keep the position ~80 KB.
MAX_SEEN_IDS = 2_000


class PartnerConnector(HttpSourceConnector):
    family = "partner"

    def __init__(
        self,
        source: str,
        endpoint: str,
        *,
        state: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        transport: TransportConfig | None = None,
        node_id: str = "mhub",
        window: Window | None = None,
    ) -> None:
        super().__init__(source)
        self.window = window
        self.endpoint = endpoint
        self.state = state.upper()
        self.page_size = page_size
        self.transport_config = transport or TransportConfig()
        self.node_id = node_id
        self.path = "/ws"
        self._http: HttpTransport | None = None
        self.acked_total = 0

    # --- Get -----------------------------------------------------------------

    def poll(self, position: Position | None) -> Page:
        seen: list[str] = list((position or {}).get("seen") or [])
        seen_set = set(seen)
        stamp = (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}Z"
        )
        token: str | None = (position or {}).get("page_token")
        request = (
            f'<GetRequest xmlns="{SMEV_NS}"><NodeId>{self.node_id}</NodeId>'
            f"<MaxMessages>{self.page_size}</MaxMessages><Timestamp>{stamp}</Timestamp>"
            f"{self._window_query(token)}</GetRequest>"
        )
        page_name = f"Get@{stamp}"
        body = self._call(request, page_name, "Get")
        next_token = body.get("nextPageToken")
        messages = body.findall(f"{{{SMEV_NS}}}Message")
        records: list[RawRecord] = []
        ack: list[str] = []
        for msg in messages:
            mid = msg.get("messageId") or ""
            if not mid:
                raise SourceRejected(
                    "a Message without messageId", source=self.source, page=page_name
                )
            ack.append(mid)
            if mid in seen_set:
                continue  # redelivered: already handled, acknowledge again only
            seen_set.add(mid)
            seen.append(mid)
            records.append(self._record(msg, mid, page_name))
        seen = seen[-MAX_SEEN_IDS:]
        if self.window is not None:
            pos = {"seen": seen, "ack": ack, "page_token": next_token}
            return Page(records, pos, exhausted=not next_token)
        exhausted = len(messages) < self.page_size
        return Page(records, {"seen": seen, "ack": ack}, exhausted=exhausted)

    def _window_query(self, token: str | None) -> str:
        """The archive query of a windowed run (empty for the live queue)."""
        if self.window is None:
            return ""
        query = (
            f"<SentAfter>{self.window.start_iso}</SentAfter>"
            f"<SentUntil>{self.window.end_iso}</SentUntil>"
        )
        return query + (f"<PageToken>{escape(token)}</PageToken>" if token else "")

    def _record(self, msg: etree._Element, mid: str, page_name: str) -> RawRecord:
        primary = msg.find(f"{{{SMEV_NS}}}PrimaryContent")
        attachment = msg.find(f"{{{SMEV_NS}}}AttachmentContent")
        origin = f"{self.path}#{mid}"
        if primary is not None and len(primary):
            doc = copy.deepcopy(primary[0])
            # Standalone document: drop the envelope's namespace declarations it inherited.
            etree.cleanup_namespaces(doc)
            body = etree.tostring(doc, encoding="UTF-8", with_tail=False)
            return RawRecord(self.source, doc.get("recordId") or mid, body, origin=origin)
        if attachment is not None:
            try:
                body = base64.b64decode(attachment.text or "", validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SourceRejected(
                    f"message {mid}: attachment is not base64", source=self.source, page=page_name
                ) from exc
            from connectors.xmlstream import guess_record_id

            return RawRecord(self.source, guess_record_id(body) or mid, body, origin=origin)
        raise SourceRejected(
            f"message {mid} carries no content", source=self.source, page=page_name
        )

    # --- Ack -----------------------------------------------------------------

    def commit(self, position: Position) -> None:
        """Acknowledge the page's messages; called only after they are durably published."""
        ids: list[str] = list(position.get("ack") or [])
        if not ids:
            return
        targets = "".join(f'<AckTargetMessage accepted="true">{i}</AckTargetMessage>' for i in ids)
        body = self._call(
            f'<AckRequest xmlns="{SMEV_NS}">{targets}</AckRequest>',
            f"Ack[{ids[0]}..{ids[-1]}]",
            "Ack",
        )
        statuses = {
            a.get("messageId"): a.get("status") for a in body.findall(f"{{{SMEV_NS}}}Acknowledged")
        }
        unknown = [i for i in ids if statuses.get(i) == "UNKNOWN"]
        if unknown:
            raise SourceRejected(
                f"partner does not know messages {unknown[:3]}", source=self.source, page="Ack"
            )
        self.acked_total += len(ids)

    # --- SOAP plumbing ---------------------------------------------------------

    def _call(self, inner: str, page_name: str, action: str) -> etree._Element:
        envelope = (
            f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP_NS}">'
            f"<soap:Body>{inner}</soap:Body></soap:Envelope>"
        ).encode()
        headers = {"Content-Type": f'{SOAP_CONTENT_TYPE}; action="urn:smev:{action}"'}
        try:
            reply = self.http.request(
                "POST", self.path, page=page_name, content=envelope, headers=headers
            )
        except SourceRejected as exc:
            raise SourceRejected(f"SOAP fault: {exc}", source=self.source, page=page_name) from exc
        try:
            env = parse_untrusted(reply.body)
        except UnsafeXmlError as exc:
            raise SourceUnavailable(
                f"unreadable SOAP response: {exc}", source=self.source, page=page_name
            ) from exc
        body = env.find(f"{{{SOAP_NS}}}Body")
        if body is None or not len(body):
            raise SourceUnavailable(
                "SOAP response without a Body", source=self.source, page=page_name
            )
        fault = body.find(f"{{{SOAP_NS}}}Fault")
        if fault is not None:
            reason = "".join(fault.itertext()).strip()
            raise SourceRejected(f"SOAP fault: {reason}", source=self.source, page=page_name)
        return body[0]
