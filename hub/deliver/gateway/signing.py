"""The hub's signature on every partner message: enveloped XMLDSig by the active hub key.

``security.signer.EnvelopedSigner`` with the hub's settings: exclusive C14N (as
SMEV 3 uses), so the signed message stays verifiable after it is embedded in a
SOAP envelope and taken out again; the signing certificate travels in
``ds:KeyInfo``, so partners and ``xmlsec1 --verify --trusted-pem hub-signing-ca.pem``
check it against the hub's signing CA alone (never the TLS CA: see security.pki).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from security.keys import KeyStore, SigningKey, resolve_passphrase
from security.signer import EnvelopedSigner


class MessageSigner:
    def __init__(self, key: SigningKey) -> None:
        self._signer = EnvelopedSigner(key)
        self.key_id = key.key_id

    @classmethod
    def from_key_dir(cls, keys_dir: Path, passphrase: str = "") -> MessageSigner:
        """The active hub signing key from security's key directory (a key that cannot be
        opened is security's KeyConfigError: ``mhub gateway serve`` says it in one line)."""
        store = KeyStore(keys_dir / "hub" / "signing", resolve_passphrase(keys_dir, passphrase))
        return cls(store.load())

    def sign(self, element: etree._Element) -> bytes:
        """The signed document's bytes; never re-serialise them (that breaks the signature)."""
        return etree.tostring(self._signer.sign(element), encoding="utf-8")
