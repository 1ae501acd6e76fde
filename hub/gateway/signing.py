"""The hub's signature on every partner message: enveloped XMLDSig.

Exclusive C14N (as SMEV 3 uses) so the signed message stays verifiable after it
is embedded in a SOAP envelope and taken out again: inclusive C14N would pull
the envelope's namespace declarations into the digest. The certificate chain
(hub signing certificate, then its CA) travels in ``ds:KeyInfo`` so partners
and ``xmlsec1 --verify --trusted-pem hub-ca.pem`` can check it against the
pinned hub CA alone.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import XMLSigner

from hub.errors import ConfigError

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
# ECDSA P-256 signs in ~0.2 ms, RSA-2048 in ~0.5 ms: both allow-listed, picked by key type.
_ALGORITHM = {ec.EllipticCurvePrivateKey: "ecdsa-sha256", rsa.RSAPrivateKey: "rsa-sha256"}


class MessageSigner:
    def __init__(
        self, cert: Path, key: Path, chain: tuple[Path, ...] = (), passphrase: bytes | None = None
    ) -> None:
        try:
            self._key = serialization.load_pem_private_key(key.read_bytes(), passphrase)
            self._certs = [cert.read_text(), *(c.read_text() for c in chain)]
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"hub signing key or certificate unusable: {exc}") from exc
        algorithm = next((a for t, a in _ALGORITHM.items() if isinstance(self._key, t)), None)
        if algorithm is None:
            raise ConfigError("hub signing key must be ECDSA or RSA")
        self._signer = XMLSigner(
            signature_algorithm=algorithm, digest_algorithm="sha256", c14n_algorithm=EXC_C14N
        )

    def sign(self, element: etree._Element) -> bytes:
        """The signed document's bytes; never re-serialise them (that breaks the signature)."""
        signed = self._signer.sign(element, key=self._key, cert=self._certs)
        return etree.tostring(signed, encoding="utf-8")
