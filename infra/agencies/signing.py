"""Partner signatures for simulated partner documents, using the dev PKI.

Each partner state signs its own documents with its signing key (issued by its
own CA in :class:`security.pki.DevPki`), as a real partner's gateway would: an
enveloped XMLDSig over the whole document, appended as the root's last child.

A partner can also be made to sign badly, so the hub's verify stage is tested
end to end (``bad={"UZB": "tampered"}``, every ``bad_every``-th document chosen by
its content, so a redelivery is as bad as the first delivery):

- ``tampered``: signed, then a value changed (``sig.invalid``);
- ``unknown-ca``: signed with a key certified by a CA the hub does not trust
  (``sig.untrusted-ca``);
- ``expired``: signed with a certificate that expired last year (``sig.cert-expired``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping

from lxml import etree

from infra.agencies.server import Signer
from security.keys import SigningKey
from security.pki import DevPki, issue_cert, new_ca, new_key
from security.signer import EnvelopedSigner

BAD_KINDS = ("tampered", "unknown-ca", "expired")


def partner_signer(
    pki: DevPki, *, bad: Mapping[str, str] | None = None, bad_every: int = 1
) -> Signer:
    """A :data:`Signer` that signs as whichever partner state sends the document."""
    bad = dict(bad or {})
    unknown = set(bad.values()) - set(BAD_KINDS)
    if unknown:
        raise ValueError(f"bad signature kinds must be among {BAD_KINDS}, not {sorted(unknown)}")
    signers: dict[tuple[str, str], EnvelopedSigner] = {}

    def signer_for(state: str, kind: str) -> EnvelopedSigner:
        signer = signers.get((state, kind))
        if signer is None:
            signer = signers[(state, kind)] = EnvelopedSigner(_key(pki, state, kind))
        return signer

    def sign(state: str, document: bytes) -> bytes:
        kind = bad.get(state, "good")
        if kind != "good" and hashlib.sha256(document).digest()[0] % bad_every != 0:
            kind = "good"
        signed = signer_for(state, "good" if kind == "tampered" else kind).sign_bytes(
            etree.fromstring(document)
        )
        return _tamper(signed) if kind == "tampered" else signed

    return sign


def is_bad(document: bytes, bad_every: int) -> bool:
    """Whether ``partner_signer(bad=..., bad_every=...)`` signs this (unsigned) document badly."""
    return hashlib.sha256(document).digest()[0] % bad_every == 0


def _key(pki: DevPki, state: str, kind: str) -> SigningKey:
    if kind == "good":
        return pki.partner_signing_key(state)
    if kind == "expired":
        now = dt.datetime.now(dt.UTC)
        key, cert = pki.issue_partner_signing_cert(
            state, not_before=now - dt.timedelta(days=730), not_after=now - dt.timedelta(days=365)
        )
        return SigningKey.from_parts(key, cert)
    ca_key, ca_cert = new_ca(f"{state} rogue CA", state)  # a CA no trust store names
    key = new_key()
    cert = issue_cert(
        key.public_key(),
        subject_cn=f"{state} signing",
        org=state,
        usage="signing",
        issuer_cert=ca_cert,
        issuer_key=ca_key,
    )
    return SigningKey.from_parts(key, cert)


def _tamper(signed: bytes) -> bytes:
    """Change the first character of the first text value outside the signature."""
    root = etree.fromstring(signed)
    for el in root.iter():
        if el.tag.startswith("{http://www.w3.org/2000/09/xmldsig#}"):
            continue
        if el.text and el.text.strip():
            first = el.text.strip()[0]
            el.text = el.text.replace(first, "9" if first != "9" else "8", 1)
            return etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    raise ValueError("no text value to tamper with")
