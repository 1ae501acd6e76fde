"""Signed notices: DLQ entries and identity notices as agencies receive and check them.

Events are covered by batch proofs (a Merkle leaf under a signed manifest) because
they are many. Quarantined records and identity notices are few (a DLQ entry per
rejected record, a notice per merge or conflict) and are written by stage 1, which
has no batch or audit chain of its own: each is sealed alone, as one small XML
document with an enveloped XMLDSig by the hub's *signing* key, so the documented
recipe checks it without the hub's code::

    xmlsec1 --verify --trusted-pem var/pki/trust/hub-signing-ca.pem notice.xml

The document (``urn:kz:mhub:notice:1``, ``schemas/exchange/notice.xsd``)::

    <Notice xmlns="urn:kz:mhub:notice:1">
      <Kind>dlq | identity</Kind>
      <SignedAt>2026-12-02T09:00:00Z</SignedAt>     (certificate validity is checked then)
      <Body>{... the JSON the topic carried before ...}</Body>
      <ds:Signature>...</ds:Signature>
    </Notice>

Only the verified document's ``Body`` is used (:func:`verify_notice`);
:func:`read_notice` reads the body without checking, for operators' listings,
and also accepts the bare JSON that DLQ entries written before sealing carry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from hub.errors import TrustError, map_errors
from security.keys import SigningKey
from security.safe_xml import parse_untrusted
from security.signer import EnvelopedSigner
from security.trust import HUB, TrustStore
from security.verifier import verify_hub_document

NOTICE_NS = "urn:kz:mhub:notice:1"
DLQ = "dlq"
IDENTITY = "identity"
KINDS = (DLQ, IDENTITY)
_N = f"{{{NOTICE_NS}}}"


@dataclass(frozen=True, slots=True)
class VerifiedNotice:
    """What a notice's signature covers, and who signed it when."""

    kind: str
    body: dict[str, Any]
    key_id: str
    signed_at: dt.datetime | None


class NoticeSealer:
    """Signs notices with the hub signing key, opened on first use.

    Most pages quarantine nothing and merge no one, so a stage opens the key
    (a PKCS#8 decryption) only when it has something to seal.
    """

    def __init__(self, open_key: Callable[[], SigningKey]) -> None:
        self._open_key = open_key
        self._signer: EnvelopedSigner | None = None

    def __call__(self, kind: str, body: dict[str, Any], *, now: dt.datetime | None = None
                 ) -> bytes:
        """The notice document for ``body``, signed, as UTF-8 bytes (the Kafka value)."""
        if kind not in KINDS:
            raise ValueError(f"notice kind {kind!r} is not one of {KINDS}")
        if self._signer is None:
            self._signer = EnvelopedSigner(self._open_key())
        root = etree.Element(f"{_N}Notice", nsmap={None: NOTICE_NS})
        etree.SubElement(root, f"{_N}Kind").text = kind
        when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        etree.SubElement(root, f"{_N}SignedAt").text = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        etree.SubElement(root, f"{_N}Body").text = json.dumps(
            body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return self._signer.sign_bytes(root)


def verify_notice(value: bytes, trust: TrustStore) -> VerifiedNotice:
    """Check a notice's signature against the hub signing trust; return what it covers.

    Raises the hub's :class:`~hub.errors.TrustError` (rules ``sig.*``, ``notice.*``) or
    :class:`~hub.errors.HostileXmlError` (``xml.*``): the security package's errors are
    translated here, where it is called.
    """
    if value.lstrip()[:1] != b"<":
        raise TrustError("not a signed notice (bare JSON, as written before sealing)",
                         rule="notice.unsigned", partner=HUB)
    with map_errors():
        doc = verify_hub_document(value, trust=trust)
    root = doc.element
    if root.tag != f"{_N}Notice":
        raise TrustError(f"a hub document, but not a notice: {root.tag}",
                         rule="notice.not-a-notice", partner=HUB)
    kind = (root.findtext(f"{_N}Kind") or "").strip()
    if kind not in KINDS:
        raise TrustError(f"unknown notice kind {kind!r}", rule="notice.kind", partner=HUB)
    return VerifiedNotice(kind, _body(root), doc.key_id, doc.signing_time)


def read_notice(value: bytes) -> dict[str, Any]:
    """The JSON body of a notice, unchecked (listings); bare JSON values as they are."""
    if value.lstrip()[:1] != b"<":
        return dict(json.loads(value))
    with map_errors():
        root = parse_untrusted(value)
    return _body(root)


def _body(root: etree._Element) -> dict[str, Any]:
    text = root.findtext(f"{_N}Body")
    try:
        body = json.loads(text or "")
    except ValueError as exc:
        raise TrustError(f"notice body is not JSON: {exc}", rule="notice.body",
                         partner=HUB) from exc
    if not isinstance(body, dict):
        raise TrustError("notice body is not a JSON object", rule="notice.body", partner=HUB)
    return body
