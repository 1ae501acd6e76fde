"""Security settings: frozen, secure by default, algorithms allow-listed.

Nothing here is read from the environment on import; callers build a
:class:`SecuritySettings` (usually the default) and pass it down. Weak choices
(SHA-1, RSA under 2048 bits, unknown curves) are refused when the settings are
built, so a misconfiguration fails at start, not at the first document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from security.errors import SecurityConfigError
from security.merkle import ALLOWED_DIGESTS

# Signature methods the hub accepts and produces. RSA-PSS is accepted and can
# be produced, but Debian's xmlsec1 1.2 cannot verify it, so the hub's default
# for documents leaving it is RSA-SHA256 or ECDSA-SHA256.
DEFAULT_SIGNATURE_METHODS = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.SHA256_RSA_MGF1,
        SignatureMethod.SHA384_RSA_MGF1,
        SignatureMethod.SHA512_RSA_MGF1,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
    }
)
# The XMLDSig digests: the one allow-list (security.merkle.ALLOWED_DIGESTS) as signxml names.
DEFAULT_DIGESTS = frozenset(DigestAlgorithm[name.upper()] for name in ALLOWED_DIGESTS)
# P-192/P-224 are below today's 128-bit security floor; P-256 is what partners use.
DEFAULT_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
# NIST SP 800-57: RSA below 2048 bits is no longer acceptable for signatures.
MIN_RSA_BITS = 2048
# Partner clocks drift; a signing time further in the future than this is refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# Exclusive C14N: an event keeps its digest when embedded in another document
# (a SOAP envelope, a Kafka batch) because no inherited namespace leaks in.
HUB_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
# Local names of a signing-time element inside the signed payload; used as the
# certificate validation time when present (it is only trusted once signed).
SIGNING_TIME_NAMES = ("SigningTime", "SignedAt")



def _is_weak(name: str) -> bool:
    """SHA-1/SHA-224 anywhere, shared-secret HMAC, and plain DSA are refused."""
    return "SHA1" in name or "SHA224" in name or name.startswith(("HMAC_", "DSA_"))


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    """What the hub accepts and produces; every choice is checked against its allow-list
    when the settings are built (:class:`SecurityConfigError` names the refused one)."""

    signature_methods: frozenset[SignatureMethod] = DEFAULT_SIGNATURE_METHODS
    """XMLDSig signature methods accepted on inbound documents (and allowed for the hub's
    own); anything with SHA-1 or SHA-224, HMAC or plain DSA is refused."""
    digest_algorithms: frozenset[DigestAlgorithm] = DEFAULT_DIGESTS
    """XMLDSig reference digests accepted: a subset of the SHA-2 allow-list
    (``security.merkle.ALLOWED_DIGESTS``)."""
    curves: frozenset[str] = DEFAULT_CURVES
    """Elliptic curves of ECDSA keys accepted, a subset of P-256, P-384 and P-521."""
    min_rsa_bits: int = MIN_RSA_BITS
    """Smallest RSA modulus accepted on a signer's key; never below 2048 (NIST SP 800-57)."""
    max_clock_skew: timedelta = MAX_CLOCK_SKEW
    """How far in the future a signed signing time may lie (partner clocks drift)."""
    c14n: CanonicalizationMethod = HUB_C14N
    """Canonicalisation of the hub's own signatures: exclusive C14N 1.0, so an event keeps
    its digest inside a SOAP envelope or a batch."""
    signing_time_names: tuple[str, ...] = field(default=SIGNING_TIME_NAMES)
    """Local names of a signing-time element in the signed payload, used as the
    certificate validation time once the signature holds."""
    batch_digest: str = "sha256"
    """Digest of the batch Merkle tree and of each event's canonical form (a hashlib name
    of ``security.merkle.ALLOWED_DIGESTS``); written into every manifest and proof."""

    def __post_init__(self) -> None:
        for method in self.signature_methods:
            if _is_weak(method.name):
                raise SecurityConfigError(f"signature method {method.name} is not allowed")
        for digest in self.digest_algorithms:
            if digest not in DEFAULT_DIGESTS:
                raise SecurityConfigError(f"digest {digest.name} is not allowed")
        if self.min_rsa_bits < MIN_RSA_BITS:
            raise SecurityConfigError(f"RSA keys under {MIN_RSA_BITS} bits are not allowed")
        if not self.curves <= DEFAULT_CURVES:
            wrong = sorted(self.curves - DEFAULT_CURVES)
            raise SecurityConfigError(f"curves {wrong} are not allowed")
        if self.batch_digest not in ALLOWED_DIGESTS:
            raise SecurityConfigError(f"batch digest {self.batch_digest} is not allowed")


DEFAULT_SETTINGS = SecuritySettings()
