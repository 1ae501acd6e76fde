"""Errors of the security package: it stands on its own and imports nothing of ``hub``.

    SecurityError
    ├── SecurityConfigError      settings refused (an algorithm not allowed, a key too short)
    │   └── KeyConfigError       a key cannot be loaded, decrypted or found
    ├── MerkleUsageError         the Merkle tree was used out of order (a bug in the caller)
    ├── UnsafeXmlError           refused by security.safe_xml (rule xml.*)
    └── VerificationError        a signature, certificate, proof or chain fails
        ├── SignatureError       sig.* : XMLDSig missing, invalid, wrapped, ...
        ├── CertificateError     sig.cert-* / sig.untrusted-ca / sig.wrong-partner
        ├── ProofError           proof.* : a batch inclusion proof does not hold
        └── ChainError           chain.* : the manifest audit chain is broken

``UnsafeXmlError`` and every ``VerificationError`` carry ``rule`` (a stable id agencies
can look up); a ``VerificationError`` also carries, where known, keyword-only context:
``partner``, ``batch_id``, ``position``. Third-party errors (signxml, cryptography,
pkcs11) are translated at the boundary with ``raise ... from exc``. The names are the
package's own: the hub's errors (``hub.errors``) are other classes, and the hub
translates these into them where it calls this package (the table there).
"""

from __future__ import annotations


class SecurityError(Exception):
    """Base of every error the security package raises on purpose."""


class SecurityConfigError(SecurityError):
    """Security settings or key material are refused: not allowed, too weak, unreadable."""


class KeyConfigError(SecurityConfigError):
    """A signing or pseudonym key cannot be loaded, decrypted or found."""


class MerkleUsageError(SecurityError):
    """The Merkle tree was used out of its documented call order."""


class UnsafeXmlError(SecurityError):
    """Refused by the hardened parser: DTD, entity, size, depth or encoding."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


class VerificationError(SecurityError):
    """A signature, certificate, proof or chain fails verification."""

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        partner: str | None = None,
        batch_id: str | None = None,
        position: int | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.partner = partner
        self.batch_id = batch_id
        self.position = position


class SignatureError(VerificationError):
    """The XML signature is missing, invalid, of a refused kind, or wrapped."""


class CertificateError(VerificationError):
    """The signer's certificate is expired, not chained to the pinned CA, or misused."""


class ProofError(VerificationError):
    """An event's batch inclusion proof does not lead to the signed manifest root."""


class ChainError(VerificationError):
    """The manifests' hash chain is broken (removed, reordered or altered batch)."""
