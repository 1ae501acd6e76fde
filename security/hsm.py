"""PKCS#11 backend: hub signing keys that never leave a token (an HSM; SoftHSM2 in tests).

signxml signs by calling ``key.sign(...)`` on the private key object it is
given, with cryptography's signature surface. :class:`TokenPrivateKey` offers
that surface and performs the operation on the token, so ``XMLSigner`` builds
``ds:SignedInfo`` as usual and only the raw signature over
``c14n(SignedInfo)`` comes from the token:

* ECDSA: the SHA-256 of the data is computed here and signed with ``CKM_ECDSA``
  (SoftHSM2 2.6 has no ``CKM_ECDSA_SHA256``); the token's raw ``r||s`` is
  DER-encoded as cryptography would return it.
* RSA PKCS#1 v1.5: ``CKM_SHA256_RSA_PKCS`` (and the SHA-384/512 variants).
* RSA-PSS: ``CKM_SHA256_RSA_PKCS_PSS`` with MGF1-SHA256 and a digest-length salt
  (RFC 9231 as signxml verifies it).

Configuration, passed in by the caller (the hub's ``HUB_PKCS11_MODULE`` and
``HUB_PKCS11_PIN`` settings): the vendor's library (default SoftHSM2's) and the
token PIN; the key is found by token label and key label. The
certificate of the token key is issued by the hub CA
(:meth:`security.pki.DevPki.issue_hub_signing_cert`) and kept in the key store
and trust store like any hub certificate. A session is used under a lock:
PKCS#11 sessions are not safe for concurrent operations.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PSS, AsymmetricPadding, PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.hashes import HashAlgorithm
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import MGF, Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from security.errors import KeyConfigError
from security.keys import SigningKey

# Where Debian (and Ubuntu) install SoftHSM2's PKCS#11 library.
SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)
_RSA_PKCS = {"sha256": Mechanism.SHA256_RSA_PKCS, "sha384": Mechanism.SHA384_RSA_PKCS,
             "sha512": Mechanism.SHA512_RSA_PKCS}
_RSA_PSS = {
    "sha256": (Mechanism.SHA256_RSA_PKCS_PSS, Mechanism.SHA256, MGF.SHA256),
    "sha384": (Mechanism.SHA384_RSA_PKCS_PSS, Mechanism.SHA384, MGF.SHA384),
    "sha512": (Mechanism.SHA512_RSA_PKCS_PSS, Mechanism.SHA512, MGF.SHA512),
}
_libs: dict[str, Any] = {}
_libs_lock = threading.Lock()


def find_module(configured: str = "") -> str | None:
    """The PKCS#11 library to load: the configured one, else an installed SoftHSM2."""
    if configured:
        return configured
    return next((m for m in SOFTHSM_MODULES if Path(m).exists()), None)


def _lib(module: str) -> Any:
    # A PKCS#11 library may be initialised once per process.
    with _libs_lock:
        if module not in _libs:
            _libs[module] = pkcs11.lib(module)
        return _libs[module]


class TokenPrivateKey:
    """A private key on a token, with cryptography's ``sign`` surface (for signxml)."""

    def __init__(self, session: Any, private: Any, public_key: Any) -> None:
        self._session = session
        self._private = private
        self._public_key = public_key
        self._lock = threading.Lock()

    @property
    def key_size(self) -> int:
        return int(self._public_key.key_size)

    def public_key(self) -> Any:
        return self._public_key

    def sign(self, data: bytes, *args: Any, **kwargs: Any) -> bytes:
        try:
            if isinstance(self._public_key, ec.EllipticCurvePublicKey):
                algorithm = kwargs.get("signature_algorithm") or args[0]
                return self._sign_ecdsa(data, algorithm.algorithm)
            padding: AsymmetricPadding = kwargs.get("padding") or args[0]
            hash_alg: HashAlgorithm = kwargs.get("algorithm") or args[1]
            return self._sign_rsa(data, padding, hash_alg)
        except pkcs11.PKCS11Error as exc:
            raise KeyConfigError(f"token refused to sign: {type(exc).__name__}") from exc

    def _sign_ecdsa(self, data: bytes, hash_alg: HashAlgorithm) -> bytes:
        digest = hashlib.new(hash_alg.name, data).digest()
        with self._lock:
            raw = self._private.sign(digest, mechanism=Mechanism.ECDSA)
        half = len(raw) // 2
        return encode_dss_signature(int.from_bytes(raw[:half]), int.from_bytes(raw[half:]))

    def _sign_rsa(self, data: bytes, padding: AsymmetricPadding, hash_alg: HashAlgorithm) -> bytes:
        if isinstance(padding, PKCS1v15):
            with self._lock:
                return bytes(self._private.sign(data, mechanism=_RSA_PKCS[hash_alg.name]))
        if isinstance(padding, PSS):
            mech, h, mgf = _RSA_PSS[hash_alg.name]
            with self._lock:
                return bytes(self._private.sign(
                    data, mechanism=mech, mechanism_param=(h, mgf, hash_alg.digest_size)))
        raise KeyConfigError(f"padding {type(padding).__name__} is not supported")


class Token:
    """An open, logged-in session on one token; close it when done (or use ``with``)."""

    def __init__(self, *, token_label: str, pin: str, module: str = "") -> None:
        found = find_module(module)
        if found is None:
            raise KeyConfigError("no PKCS#11 module configured and no SoftHSM2 installed")
        module = found
        if not pin:
            raise KeyConfigError(f"no PIN for token {token_label!r}")
        try:
            token = _lib(module).get_token(token_label=token_label)
            self._session = token.open(user_pin=pin, rw=True)
        except pkcs11.PKCS11Error as exc:
            raise KeyConfigError(
                f"cannot open token {token_label!r}: {type(exc).__name__}") from exc

    def __enter__(self) -> Token:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def generate(self, key_label: str, kind: str = "ec") -> TokenPrivateKey:
        """Generate a non-extractable key pair on the token."""
        template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}
        if kind == "ec":
            params = self._session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True)
            params.generate_keypair(store=True, label=key_label, private_template=template)
        elif kind == "rsa":
            self._session.generate_keypair(KeyType.RSA, 2048, store=True, label=key_label,
                                           private_template=template)
        else:
            raise KeyConfigError(f"unknown key kind {kind}")
        return self.key(key_label)

    def key(self, key_label: str) -> TokenPrivateKey:
        try:
            private = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
            public = self._session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=key_label)
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as exc:
            raise KeyConfigError(f"key {key_label!r}: {type(exc).__name__}") from exc
        if public.key_type == KeyType.EC:
            public_key = load_der_public_key(encode_ec_public_key(public))
        else:
            public_key = rsa.RSAPublicNumbers(
                int.from_bytes(public[Attribute.PUBLIC_EXPONENT]),
                int.from_bytes(public[Attribute.MODULUS]),
            ).public_key()
        return TokenPrivateKey(self._session, private, public_key)

    def private_attribute(self, key_label: str, attribute: Attribute) -> Any:
        private = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
        return private[attribute]


def token_signing_key(
    key: TokenPrivateKey, certificate: x509.Certificate, *, pss: bool = False
) -> SigningKey:
    """A hub :class:`SigningKey` whose private half lives on the token."""
    return SigningKey.from_parts(key, certificate, pss=pss)
