"""Outbound per-event signing: one enveloped XMLDSig over the whole event.

The signature is a standard XMLDSig any tool verifies (``xmlsec1 --verify
--trusted-pem hub-signing-ca.pem event.xml``): one Reference with ``URI=""``, the
enveloped-signature transform and exclusive C14N, SHA-256 digest, the hub
key's method (ECDSA-SHA256, RSA-SHA256, or RSA-PSS on request), the key id in
``ds:KeyName`` and the signing certificate in ``ds:X509Data``. The
``ds:Signature`` is appended as the root's last child.

This costs a full public-key signature per event (~0.2-0.5 ms); the hot path
uses :mod:`security.batch` instead. Never re-serialise a signed event with
pretty printing: whitespace is signed.
"""

from __future__ import annotations

from lxml import etree
from signxml import DigestAlgorithm, SignatureConstructionMethod, XMLSigner, namespaces
from signxml.exceptions import SignXMLException

from security.errors import KeyConfigError
from security.keys import SigningKey
from security.settings import DEFAULT_SETTINGS, SecuritySettings

DS_NS = namespaces.ds  # the XMLDSig namespace, as signxml defines it


class EnvelopedSigner:
    """Signs whole documents (events, manifests) with one hub key."""

    def __init__(self, key: SigningKey, settings: SecuritySettings = DEFAULT_SETTINGS) -> None:
        if key.method not in settings.signature_methods:
            raise KeyConfigError(f"signature method {key.method.name} is not allowed")
        self.key = key
        self.settings = settings

    def sign(self, element: etree._Element) -> etree._Element:
        """Return a signed copy of ``element`` (the input is left untouched)."""
        signer = XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=self.key.method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=self.settings.c14n,
        )
        signer.namespaces = {"ds": DS_NS}
        try:
            return signer.sign(
                element,
                key=self.key.private_key,
                cert=[self.key.certificate, *self.key.chain],
                key_name=self.key.key_id,
            )
        except SignXMLException as exc:
            raise KeyConfigError(f"signing with {self.key.key_id} failed: {exc}") from exc

    def sign_bytes(self, element: etree._Element) -> bytes:
        """Signed document serialised as UTF-8 bytes (what goes on the wire)."""
        return etree.tostring(self.sign(element), encoding="UTF-8", xml_declaration=True)
