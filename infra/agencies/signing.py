"""Partner signatures for simulated partner documents, using the dev PKI.

Each partner state signs its own documents with its signing key (issued by its
own CA in :class:`security.pki.DevPki`), as a real partner's gateway would: an
enveloped XMLDSig over the whole document, appended as the root's last child.
"""

from __future__ import annotations

from lxml import etree

from infra.agencies.server import Signer
from security.pki import DevPki
from security.signer import EnvelopedSigner


def partner_signer(pki: DevPki) -> Signer:
    """A :data:`Signer` that signs as whichever partner state sends the document."""
    signers: dict[str, EnvelopedSigner] = {}

    def sign(state: str, document: bytes) -> bytes:
        signer = signers.get(state)
        if signer is None:
            signer = signers[state] = EnvelopedSigner(pki.partner_signing_key(state))
        return signer.sign_bytes(etree.fromstring(document))

    return sign
