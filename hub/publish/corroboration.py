"""The signed form of a corroboration (namespace ``urn:kz:mhub:corroboration:1``).

A corroboration says that another agency reported a fact the hub already
published. Stage 2 renders it, like an event, straight into Exclusive XML
Canonicalization 1.0, makes ``sha256(bytes)`` a leaf of the same Merkle batch
as the batch's events and splices its ``BatchProof`` in before the end tag, so
an agency checks it exactly as an event (the proof recipe of
``security.batch`` against the signed manifest), without the hub's code. The
JSON message agencies already read keeps its fields and carries this document
under ``signed``; the hub's consumer reads only the verified document and
rejects a message whose JSON disagrees with it. Contract:
``schemas/exchange/corroboration/v1/corroboration.xsd``.
"""

from __future__ import annotations

from typing import Any

from hub.publish.render import _t

CORROBORATION_NS = "urn:kz:mhub:corroboration:1"

#: JSON field -> element, in the XSD's order
FIELDS = (
    ("event_id", "EventId"),
    ("type", "EventType"),
    ("event_key", "EventKey"),
    ("source", "Source"),
    ("record_id", "SourceRecordId"),
    ("version", "SourceVersion"),
    ("raw_digest", "RawDigest"),
    ("first_source", "FirstSource"),
    ("person_id", "PersonId"),
)


def render_corroboration(corr: dict[str, Any]) -> bytes:
    """The corroboration in exclusive C14N (its own canonical form), without proof."""
    body = "".join(_t(name, str(corr[key])) for key, name in FIELDS)
    return f'<Corroboration xmlns="{CORROBORATION_NS}">{body}</Corroboration>'.encode()
