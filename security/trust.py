"""Trust store: who may sign what.

Loaded from a directory (written by ``mhub keys init`` / :class:`security.pki.DevPki`)::

    hub-signing-ca.pem       the hub's *signing* CA certificate(s); the hub's TLS CA
                             is never here (keys are separated by purpose)
    hub-signing/<kid>.pem    every hub signing certificate, current and retired:
                             a hub signature must chain to the signing CA *and* be
                             made by one of these pinned certificates (so no TLS
                             key can ever sign events or manifests), and retired
                             keys keep verifying what they signed
    partners/<CODE>.pem      the pinned CA certificate(s) of each CIS partner

:meth:`TrustStore.check_signer` validates a signer's certificate against one
party's anchors at a given time and names the precise reason when it fails
(rule ids ``sig.cert-expired``, ``sig.key-usage``, ``sig.weak-key``,
``sig.wrong-partner``, ``sig.untrusted-ca``, ``sig.unknown-key``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification as xv

from security.errors import CertificateError
from security.keys import key_id_of
from security.settings import DEFAULT_SETTINGS, SecuritySettings

HUB = "HUB"  # the party name of the hub's own anchors
# Chains remembered per trust store (a few per partner in practice); past this many, all
# are forgotten and rebuilt as needed, so a flood of distinct certificates costs time only.
CHAINS_REMEMBERED = 1024
HUB_SIGNING_CA_FILE = "hub-signing-ca.pem"  # the anchor for hub signatures (not TLS)


def _require_digital_signature(
    _policy: xv.Policy, _cert: x509.Certificate, key_usage: x509.KeyUsage | None
) -> None:
    if key_usage is None or not key_usage.digital_signature:
        raise ValueError("certificate KeyUsage does not allow digitalSignature")


# End-entity policy: any extensions, but KeyUsage must be present with
# digitalSignature (what signxml requires too). CA policy: the Web PKI's rules
# (basicConstraints CA, keyCertSign, no SHA-1, RSA >= 2048).
_EE_POLICY = xv.ExtensionPolicy.permit_all().require_present(
    x509.KeyUsage, xv.Criticality.AGNOSTIC, _require_digital_signature
)
_CA_POLICY = xv.ExtensionPolicy.webpki_defaults_ca()


@functools.lru_cache(maxsize=256)
def subject_name(cert: x509.Certificate) -> str:
    """A certificate's subject as RFC 4514 text: a partner signs with few certificates."""
    return cert.subject.rfc4514_string()


@dataclass(frozen=True)
class TrustStore:
    hub_cas: tuple[x509.Certificate, ...]
    hub_certs: Mapping[str, x509.Certificate]
    partner_cas: Mapping[str, tuple[x509.Certificate, ...]]
    settings: SecuritySettings = DEFAULT_SETTINGS
    _stores: dict[str, xv.Store] = field(default_factory=dict, repr=False, compare=False)
    _chained: dict[tuple[str, x509.Certificate, tuple[x509.Certificate, ...]],
                   tuple[dt.datetime, dt.datetime]] = field(
        default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(
        cls, directory: Path | str, settings: SecuritySettings = DEFAULT_SETTINGS
    ) -> TrustStore:
        directory = Path(directory)
        anchor = directory / HUB_SIGNING_CA_FILE
        if not anchor.exists():
            raise CertificateError(
                f"no trust store in {directory} (no {HUB_SIGNING_CA_FILE})", rule="trust.missing"
            )
        hub_cas = tuple(x509.load_pem_x509_certificates(anchor.read_bytes()))
        hub_certs = {}
        for path in sorted((directory / "hub-signing").glob("*.pem")):
            for cert in x509.load_pem_x509_certificates(path.read_bytes()):
                hub_certs[key_id_of(cert)] = cert
        partners = {
            p.stem.upper(): tuple(x509.load_pem_x509_certificates(p.read_bytes()))
            for p in sorted((directory / "partners").glob("*.pem"))
        }
        return cls(hub_cas, MappingProxyType(hub_certs), MappingProxyType(partners), settings)

    @property
    def parties(self) -> list[str]:
        return [HUB, *sorted(self.partner_cas)]

    def anchors(self, party: str) -> tuple[x509.Certificate, ...]:
        if party == HUB:
            return self.hub_cas
        try:
            return self.partner_cas[party.upper()]
        except KeyError:
            raise CertificateError(
                f"partner {party!r} has no pinned CA in the trust store",
                rule="sig.unknown-partner", partner=party,
            ) from None

    def check_signer(
        self,
        leaf: x509.Certificate,
        intermediates: Sequence[x509.Certificate],
        *,
        party: str,
        at: dt.datetime,
    ) -> str:
        """Validate ``leaf`` for ``party`` at time ``at``; return its key id or raise."""
        anchors = self.anchors(party)
        if not leaf.not_valid_before_utc <= at <= leaf.not_valid_after_utc:
            raise CertificateError(
                f"certificate {subject_name(leaf)} is valid "
                f"{leaf.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ}"
                f"..{leaf.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}, not at signing time "
                f"{at:%Y-%m-%dT%H:%M:%SZ}",
                rule="sig.cert-expired", partner=party,
            )
        self._check_key_strength(leaf, party)
        try:
            usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            usage = None
        if usage is None or not usage.digital_signature:
            raise CertificateError(
                f"certificate {subject_name(leaf)} lacks KeyUsage digitalSignature",
                rule="sig.key-usage", partner=party,
            )
        if not self._chains(party, anchors, leaf, intermediates, at):
            other = next(
                (
                    p for p in self.parties
                    if p != party and self._chains(p, self.anchors(p), leaf, intermediates, at)
                ),
                None,
            )
            if other is not None:
                raise CertificateError(
                    f"certificate {subject_name(leaf)} belongs to {other}, not to {party}",
                    rule="sig.wrong-partner", partner=party,
                )
            raise CertificateError(
                f"certificate {subject_name(leaf)} does not chain to the pinned CA of {party}",
                rule="sig.untrusted-ca", partner=party,
            )
        kid = key_id_of(leaf)
        if party == HUB and kid not in self.hub_certs:
            raise CertificateError(
                f"certificate {subject_name(leaf)} ({kid}) is not a hub signing certificate",
                rule="sig.unknown-key", partner=party,
            )
        return kid

    def _chains(
        self,
        party: str,
        anchors: tuple[x509.Certificate, ...],
        leaf: x509.Certificate,
        intermediates: Sequence[x509.Certificate],
        at: dt.datetime,
    ) -> bool:
        """Whether ``leaf`` chains to ``party``'s anchors at ``at``.

        A partner signs thousands of records with one certificate: a chain once built is
        remembered with the time window in which every certificate on it is valid, and a
        later check at a time inside that window is answered from memory (the verifier's
        verdict depends on the time only through those validity periods; the anchors of a
        loaded store never change). Refusals are never remembered.
        """
        key = (party, leaf, tuple(intermediates))  # certificates compare by their DER
        window = self._chained.get(key)
        if window is not None and window[0] <= at <= window[1]:
            return True
        store = self._stores.get(party)
        if store is None:
            store = self._stores[party] = xv.Store(list(anchors))
        verifier = (
            xv.PolicyBuilder()
            .store(store)
            .time(at)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
            .build_client_verifier()
        )
        try:
            chain = verifier.verify(leaf, list(intermediates)).chain
        except xv.VerificationError:
            return False
        if len(self._chained) >= CHAINS_REMEMBERED:
            self._chained.clear()
        self._chained[key] = (max(c.not_valid_before_utc for c in chain),
                              min(c.not_valid_after_utc for c in chain))
        return True

    def _check_key_strength(self, leaf: x509.Certificate, party: str) -> None:
        key = leaf.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            ok = key.key_size >= self.settings.min_rsa_bits
        elif isinstance(key, ec.EllipticCurvePublicKey):
            ok = key.curve.name in self.settings.curves
        else:
            ok = False
        if not ok:
            raise CertificateError(
                f"signer key {type(key).__name__} is not allowed by the hub's settings",
                rule="sig.weak-key", partner=party,
            )
