"""Errors of the security package, under the hub's one hierarchy.

    HubError
    ├── ConfigError
    │   ├── KeyStoreError        a key cannot be loaded, decrypted or found
    │   └── MerkleUsageError     the Merkle tree was used out of order (a bug)
    ├── DocumentError
    │   └── HostileXmlError      refused by security.safe_xml (rule xml.*)
    └── TrustError               a signature, certificate, proof or chain fails
        ├── SignatureError       sig.* : XMLDSig missing, invalid, wrapped, ...
        ├── CertificateError     sig.cert-* / sig.untrusted-ca / sig.wrong-partner
        ├── ProofError           proof.* : a batch inclusion proof does not hold
        └── ChainError           chain.* : the manifest audit chain is broken

Every TrustError carries ``rule`` (stable id agencies can look up) and, where
known, keyword-only context: ``partner``, ``batch_id``, ``position``.
Third-party errors (signxml, cryptography, pkcs11) are translated at the
boundary with ``raise ... from exc``.
"""

from __future__ import annotations

from hub.errors import ConfigError, TrustError


class KeyStoreError(ConfigError):
    """A signing key cannot be loaded, decrypted or found."""


class MerkleUsageError(ConfigError):
    """The Merkle tree was used out of its documented call order."""


class _ContextTrustError(TrustError):
    def __init__(
        self,
        message: str,
        *,
        rule: str,
        partner: str | None = None,
        batch_id: str | None = None,
        position: int | None = None,
    ) -> None:
        super().__init__(message, rule=rule)
        self.partner = partner
        self.batch_id = batch_id
        self.position = position


class SignatureError(_ContextTrustError):
    """The XML signature is missing, invalid, of a refused kind, or wrapped."""


class CertificateError(_ContextTrustError):
    """The signer's certificate is expired, not chained to the pinned CA, or misused."""


class ProofError(_ContextTrustError):
    """An event's batch inclusion proof does not lead to the signed manifest root."""


class ChainError(_ContextTrustError):
    """The manifests' hash chain is broken (removed, reordered or altered batch)."""
