"""Signing keys: ids, encrypted storage, rotation.

* **Key id**: ``k-`` + the first 16 hex digits of SHA-256 over the certificate's
  SubjectPublicKeyInfo. Anyone holding the certificate can recompute it, so it
  is safe to carry in ``ds:KeyName`` and in batch manifests.
* **At rest**: private keys are PKCS#8 PEM encrypted with a passphrase
  (cryptography's best available: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC).
  The passphrase is passed in (the hub's ``HUB_KEY_PASSPHRASE`` setting).
  **Development only**: when none is configured, a random passphrase is generated once into
  ``<key dir>/.passphrase`` (mode 0600) and reused; production sets the variable
  (or uses a PKCS#11 token, see :mod:`security.hsm`).
* **Rotation**: :class:`KeyStore` keeps every hub signing key under its id and a
  pointer ``ACTIVE`` to the one that signs. Rotating writes a new key and makes
  it active; old certificates stay in the trust store so what they signed still
  verifies.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from signxml import SignatureMethod

from security.errors import KeyConfigError

PASSPHRASE_FILE = ".passphrase"
# 32 random bytes, URL-safe: as strong as the AES-256 key it protects.
PASSPHRASE_BYTES = 32
ACTIVE_FILE = "ACTIVE"
KEY_ID_HEX = 16  # 64 bits of the SPKI digest: unique among a hub's keys, short in logs


def key_id_of(public_key_or_cert: Any) -> str:
    """Stable id of a public key (or of a certificate's key)."""
    public_key = (
        public_key_or_cert.public_key()
        if isinstance(public_key_or_cert, x509.Certificate)
        else public_key_or_cert
    )
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "k-" + hashlib.sha256(spki).hexdigest()[:KEY_ID_HEX]


def resolve_passphrase(key_dir: Path, configured: str = "") -> bytes:
    """The key passphrase: the configured one, else a dev passphrase file under key_dir."""
    if configured:
        return configured.encode()
    path = Path(key_dir) / PASSPHRASE_FILE
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(PASSPHRASE_BYTES).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value + b"\n")
    return value


def write_private_key(path: Path, key: Any, passphrase: bytes) -> None:
    """Write an encrypted PKCS#8 PEM, readable by the owner only."""
    if not passphrase:
        raise KeyConfigError("refusing to write a private key without a passphrase")
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def read_private_key(path: Path, passphrase: bytes) -> Any:
    try:
        return serialization.load_pem_private_key(Path(path).read_bytes(), password=passphrase)
    except FileNotFoundError as exc:
        raise KeyConfigError(f"no private key at {path}") from exc
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(f"cannot decrypt {path}: wrong passphrase or not PKCS#8") from exc


def write_cert(path: Path, *certs: x509.Certificate) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))


def read_certs(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except FileNotFoundError as exc:
        raise KeyConfigError(f"no certificate at {path}") from exc


def default_method(public_key: Any, *, pss: bool = False) -> SignatureMethod:
    """The hub's signature method for a key: ECDSA-SHA256, RSA-SHA256 (or RSA-PSS)."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return SignatureMethod.ECDSA_SHA256
    if isinstance(public_key, rsa.RSAPublicKey):
        return SignatureMethod.SHA256_RSA_MGF1 if pss else SignatureMethod.RSA_SHA256
    raise KeyConfigError(f"unsupported key type {type(public_key).__name__}")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A key that signs for the hub: its id, certificate and signing object.

    ``private_key`` is a cryptography private key, or an object with the same
    ``sign()`` / ``key_size`` / ``public_key()`` surface backed by a PKCS#11
    token (:class:`security.hsm.TokenPrivateKey`); signxml signs with either.
    """

    key_id: str
    certificate: x509.Certificate
    private_key: Any
    method: SignatureMethod
    chain: tuple[x509.Certificate, ...] = ()

    @classmethod
    def from_parts(
        cls, private_key: Any, certificate: x509.Certificate, *, pss: bool = False,
        chain: tuple[x509.Certificate, ...] = (),
    ) -> SigningKey:
        if key_id_of(private_key.public_key()) != key_id_of(certificate):
            raise KeyConfigError("private key does not match the certificate")
        return cls(
            key_id_of(certificate), certificate, private_key,
            default_method(certificate.public_key(), pss=pss), chain,
        )


class KeyStore:
    """Hub signing keys in a directory: ``<id>.key`` + ``<id>.pem``, and ``ACTIVE``."""

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase

    def add(self, private_key: Any, certificate: x509.Certificate, *, activate: bool) -> str:
        kid = key_id_of(certificate)
        write_private_key(self.directory / f"{kid}.key", private_key, self._passphrase)
        write_cert(self.directory / f"{kid}.pem", certificate)
        if activate:
            (self.directory / ACTIVE_FILE).write_text(kid + "\n")
        return kid

    def ids(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("k-*.pem"))

    def active_id(self) -> str:
        try:
            return (self.directory / ACTIVE_FILE).read_text().strip()
        except FileNotFoundError as exc:
            raise KeyConfigError(f"no active hub key in {self.directory}") from exc

    def certificate(self, kid: str) -> x509.Certificate:
        return read_certs(self.directory / f"{kid}.pem")[0]

    def load(self, kid: str | None = None, *, pss: bool = False) -> SigningKey:
        kid = kid or self.active_id()
        cert = self.certificate(kid)
        key = read_private_key(self.directory / f"{kid}.key", self._passphrase)
        return SigningKey.from_parts(key, cert, pss=pss)
