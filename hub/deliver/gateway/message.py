"""The message a partner receives: ``gw:PartnerMessage`` around the minimised event.

It carries a new message id (the queue's handle for Get/Ack) and the event id
and version (so a partner can deduplicate across messages), and is signed by
the hub as a whole (enveloped XMLDSig, last child).
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from hub.deliver.consumer.model import HubEvent
from hub.deliver.gateway.rules import minimise

GATEWAY_NS = "urn:kz:mhub:gateway:1"


def partner_message(
    event: HubEvent, partner: str, message_id: str, fields: tuple[str, ...], now: float
) -> etree._Element:
    """The unsigned message for one partner: ids up front, the minimised event inside."""
    msg = etree.Element(f"{{{GATEWAY_NS}}}PartnerMessage", nsmap={"gw": GATEWAY_NS})
    msg.set("messageId", message_id)
    msg.set("eventId", event.event_id)
    msg.set("eventVersion", str(event.version))
    msg.set("partner", partner)
    msg.set("family", event.family)
    msg.set("type", event.type)
    msg.set("createdAt", dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds"))
    msg.append(minimise(event.element, fields))
    return msg
