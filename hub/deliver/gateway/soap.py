"""SOAP 1.2 envelopes of the gateway's SMEV-3-style interface.

Operations (children of ``env:Body``, namespace ``urn:kz:mhub:gateway:1``):

    GetRequest [Queue]            -> GetResponse [deliveries, expiresAt] (PartnerMessage)?
    AckRequest MessageId [Queue]  -> AckResponse messageId status=acknowledged|already-acknowledged
    GetStatusRequest MessageId    -> GetStatusResponse messageId eventId status ...
    QueueStatisticsRequest        -> QueueStatisticsResponse pending delivered acknowledged ...

``Queue`` is optional: a partner's queue is the one its certificate maps to;
naming any other queue is answered with an ``gw:AccessDenied`` fault.
Errors are SOAP 1.2 faults (``env:Sender`` for the client's mistakes,
``env:Receiver`` for the gateway's) with a ``gw:`` subcode.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from hub.deliver.gateway.message import GATEWAY_NS
from hub.model.elements import child_text
from security.errors import UnsafeXmlError
from security.safe_xml import parse_untrusted

SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
OPERATIONS = ("GetRequest", "AckRequest", "GetStatusRequest", "QueueStatisticsRequest")
_NSMAP = {"env": SOAP_NS, "gw": GATEWAY_NS}


class SoapFault(Exception):
    """A fault to answer with; ``code`` is Sender or Receiver, ``subcode`` a gw: name."""

    def __init__(self, reason: str, *, subcode: str, code: str = "Sender") -> None:
        super().__init__(reason)
        self.reason = reason
        self.subcode = subcode
        self.code = code

    @property
    def http_status(self) -> int:
        # SOAP 1.2 HTTP binding: env:Sender -> 400, env:Receiver -> 500.
        return 400 if self.code == "Sender" else 500


@dataclass(frozen=True, slots=True)
class Request:
    operation: str
    queue: str = ""
    message_id: str = ""


def _gw(name: str) -> str:
    return f"{{{GATEWAY_NS}}}{name}"


def parse_request(data: bytes) -> Request:
    try:
        root = parse_untrusted(data)
    except UnsafeXmlError as exc:
        raise SoapFault(f"request refused: {exc}", subcode="MalformedRequest") from exc
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise SoapFault("not a SOAP 1.2 envelope", subcode="MalformedRequest")
    body = root.find(f"{{{SOAP_NS}}}Body")
    ops = [c for c in body if isinstance(c.tag, str)] if body is not None else []
    if len(ops) != 1:
        raise SoapFault("the SOAP body must hold exactly one operation", subcode="MalformedRequest")
    op = ops[0]
    name = etree.QName(op).localname
    if etree.QName(op).namespace != GATEWAY_NS or name not in OPERATIONS:
        raise SoapFault(f"unknown operation {op.tag}", subcode="UnknownOperation")
    request = Request(name, child_text(op, _gw("Queue")), child_text(op, _gw("MessageId")))
    if name in ("AckRequest", "GetStatusRequest") and not request.message_id:
        raise SoapFault(f"{name} needs a MessageId", subcode="MalformedRequest")
    return request


def envelope(payload: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap=_NSMAP)
    etree.SubElement(env, f"{{{SOAP_NS}}}Body").append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def response(name: str, **attrs: object) -> etree._Element:
    el = etree.Element(_gw(name), nsmap={"gw": GATEWAY_NS})
    for k, v in attrs.items():
        if v is not None:
            el.set(k, str(v))
    return el


def fault(exc: SoapFault) -> bytes:
    f = etree.Element(f"{{{SOAP_NS}}}Fault", nsmap=_NSMAP)
    code = etree.SubElement(f, f"{{{SOAP_NS}}}Code")
    etree.SubElement(code, f"{{{SOAP_NS}}}Value").text = f"env:{exc.code}"
    sub = etree.SubElement(code, f"{{{SOAP_NS}}}Subcode")
    etree.SubElement(sub, f"{{{SOAP_NS}}}Value").text = f"gw:{exc.subcode}"
    reason = etree.SubElement(f, f"{{{SOAP_NS}}}Reason")
    text = etree.SubElement(reason, f"{{{SOAP_NS}}}Text")
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    text.text = exc.reason
    return envelope(f)


def request_envelope(operation: str, *, queue: str = "", message_id: str = "") -> bytes:
    """A client's request (used by partner clients and the tests)."""
    op = etree.Element(_gw(operation), nsmap={"gw": GATEWAY_NS})
    if message_id:
        etree.SubElement(op, _gw("MessageId")).text = message_id
    if queue:
        etree.SubElement(op, _gw("Queue")).text = queue
    return envelope(op)
