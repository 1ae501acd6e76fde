"""Development PKI: the hub's CA and keys, and simulated CIS partners.

``DevPki.create(dir, partners=[...])`` writes everything the hub, its tests and
the agency simulators need; ``DevPki.open(dir)`` reads it back. Production
replaces the partners' parts by the certificates the partners actually send
(their CAs go into the trust store) and the hub's by keys from its own CA or a
PKCS#11 token. Private keys are written encrypted (see :mod:`security.keys`)
and never belong in git (``var/`` is ignored).

Layout::

    <dir>/.passphrase                   dev only, when no passphrase is passed in
    <dir>/hub/ca.pem, ca.key            the hub's TLS CA (issues only TLS certificates)
    <dir>/hub/signing-ca.pem, .key      the hub's signing CA (issues only signing certificates)
    <dir>/hub/signing/<kid>.pem|.key    hub signing keys; ACTIVE names the current one
    <dir>/hub/tls/server.pem|.key       the partner gateway's TLS server certificate
    <dir>/partners/<P>/ca.pem|.key      partner P's CA
    <dir>/partners/<P>/signing.pem|.key partner P's document signing certificate
    <dir>/partners/<P>/tls-client.pem|.key  partner P's TLS client certificate
    <dir>/partners/<P>/crl.pem          partner P's CRL (copied to trust/partners/<P>.crl)
    <dir>/trust/                        the hub's trust store (see security.trust)

Keys are separated by purpose: signing certificates come from the signing CA
and TLS certificates from the TLS CA, so a TLS certificate can never chain to
the anchor agencies verify hub signatures with (``xmlsec1 --verify
--trusted-pem trust/hub-signing-ca.pem``); the hub's own verifiers further pin
the signing certificates themselves (``trust/hub-signing/``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from security.keys import (
    KeyStore,
    SigningKey,
    key_id_of,
    read_certs,
    read_private_key,
    resolve_passphrase,
    write_cert,
    write_private_key,
)
from security.trust import HUB_SIGNING_CA_FILE

KeyType = Literal["ec", "rsa"]
Usage = Literal["ca", "signing", "tls-server", "tls-client"]
DEFAULT_PARTNERS = ("UZB", "KGZ", "TJK", "RUS")
# Development lifetimes: CAs outlive every key they issue; leaves rotate yearly.
CA_LIFETIME = dt.timedelta(days=3650)
LEAF_LIFETIME = dt.timedelta(days=397)
# Backdating absorbs clock skew between the hub and the simulators.
BACKDATE = dt.timedelta(hours=1)
RSA_BITS = 2048  # the minimum the hub accepts; enough for test keys
# A CRL is re-issued well before this; a week is a common production nextUpdate.
CRL_LIFETIME = dt.timedelta(days=7)


def new_key(kind: KeyType = "ec") -> Any:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    raise ValueError(f"unknown key type {kind}")


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ" if org == "MHUB" else "ZZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def issue_cert(
    public_key: Any,
    *,
    subject_cn: str,
    org: str,
    usage: Usage,
    issuer_cert: x509.Certificate | None = None,
    issuer_key: Any = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key_usage_digital_signature: bool = True,
    dns_names: tuple[str, ...] = (),
) -> x509.Certificate:
    """Issue one certificate (self-signed when no issuer is given)."""
    now = dt.datetime.now(dt.UTC)
    not_before = not_before or now - BACKDATE
    lifetime = CA_LIFETIME if usage == "ca" else LEAF_LIFETIME
    not_after = not_after or not_before + lifetime
    subject = _name(subject_cn, org)
    issuer = issuer_cert.subject if issuer_cert else subject
    signing_key = issuer_key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),
            critical=False,
        )
    builder = _usage_extensions(builder, usage, public_key, key_usage_digital_signature, dns_names)
    if signing_key is None:
        raise ValueError("issuer_key is required (the subject's own key when self-signing)")
    return builder.sign(signing_key, hashes.SHA256())


def _usage_extensions(
    builder: x509.CertificateBuilder,
    usage: Usage,
    public_key: Any,
    digital_signature: bool,
    dns_names: tuple[str, ...],
) -> x509.CertificateBuilder:
    """The extensions that say what a certificate is for: CA, signing, TLS server or client."""
    if usage == "ca":
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=0), critical=True
        ).add_extension(_key_usage(cert_sign=True), critical=True)
    else:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        ).add_extension(
            _key_usage(
                digital_signature=digital_signature,
                content_commitment=usage == "signing",
                key_encipherment=usage.startswith("tls")
                and isinstance(public_key, rsa.RSAPublicKey),
            ),
            critical=True,
        )
    if usage == "tls-server":
        names = dns_names or ("localhost",)
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in names]
                + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif usage == "tls-client":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder


def _key_usage(
    *, digital_signature: bool = False, content_commitment: bool = False,
    key_encipherment: bool = False, cert_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def new_ca(cn: str, org: str, kind: KeyType = "ec") -> tuple[Any, x509.Certificate]:
    key = new_key(kind)
    cert = issue_cert(key.public_key(), subject_cn=cn, org=org, usage="ca", issuer_key=key)
    return key, cert


@dataclass(frozen=True, slots=True)
class CertPair:
    """Paths of one certificate and its encrypted private key."""

    cert: Path
    key: Path


@dataclass(frozen=True, slots=True)
class PartnerPki:
    code: str
    ca: CertPair
    signing: CertPair
    tls_client: CertPair


@dataclass
class DevPki:
    """A development PKI on disk; paths plus loaders for keys and certificates."""

    directory: Path
    passphrase: bytes
    partners: dict[str, PartnerPki] = field(default_factory=dict)

    # ---- creation -------------------------------------------------------
    @classmethod
    def create(
        cls,
        directory: Path | str,
        partners: tuple[str, ...] | list[str] = DEFAULT_PARTNERS,
        *,
        hub_key_type: KeyType = "ec",
        passphrase: bytes | None = None,
    ) -> DevPki:
        directory = Path(directory)
        if (directory / "hub" / "ca.pem").exists():
            raise FileExistsError(f"a PKI already exists in {directory}; use DevPki.open")
        pki = cls(directory, passphrase or resolve_passphrase(directory))
        ca_key, ca_cert = new_ca("MHUB Development TLS CA", "MHUB")
        pki._write(pki.hub_ca, ca_key, ca_cert)
        pki._write(pki.hub_signing_ca, *new_ca("MHUB Development Signing CA", "MHUB"))
        pki.rotate_hub_key(hub_key_type)
        tls_key = new_key("ec")
        tls_cert = issue_cert(
            tls_key.public_key(), subject_cn="gateway.mhub.local", org="MHUB", usage="tls-server",
            issuer_cert=ca_cert, issuer_key=ca_key, dns_names=("localhost", "gateway.mhub.local"),
        )
        pki._write(pki.hub_tls_server, tls_key, tls_cert)
        for code in partners:
            pki.add_partner(code)
        pki.write_trust_store()
        return pki

    @classmethod
    def open(cls, directory: Path | str, *, passphrase: bytes | None = None) -> DevPki:
        directory = Path(directory)
        if not (directory / "hub" / "ca.pem").exists():
            raise FileNotFoundError(f"no PKI in {directory}; run `mhub keys init`")
        if not (directory / "hub" / "signing-ca.pem").exists():
            raise FileNotFoundError(
                f"the PKI in {directory} predates the separate signing CA (its TLS CA also "
                "issued signing keys); create a new one with `mhub keys init --dir NEW`"
            )
        pki = cls(directory, passphrase or resolve_passphrase(directory))
        for p in sorted((directory / "partners").glob("*/ca.pem")):
            pki.partners[p.parent.name] = pki._partner_paths(p.parent.name)
        return pki

    def add_partner(self, code: str) -> PartnerPki:
        code = code.upper()
        paths = self._partner_paths(code)
        ca_key, ca_cert = new_ca(f"{code} Migration Service CA", code)
        self._write(paths.ca, ca_key, ca_cert)
        for pair, usage, cn in (
            (paths.signing, "signing", f"{code} migration service signing"),
            (paths.tls_client, "tls-client", f"{code} gateway client"),
        ):
            key = new_key("ec")
            cert = issue_cert(
                key.public_key(), subject_cn=cn, org=code, usage=usage,  # type: ignore[arg-type]
                issuer_cert=ca_cert, issuer_key=ca_key,
            )
            self._write(pair, key, cert)
        self.partners[code] = paths
        self.issue_partner_crl(code)
        return paths

    def issue_partner_crl(
        self, code: str, revoked: tuple[x509.Certificate, ...] = (), *,
        next_update: dt.datetime | None = None,
    ) -> Path:
        """(Re)issue partner ``code``'s CRL revoking ``revoked``; copy it into trust/."""
        ca_key, ca_cert = self.load_pair(self.partners[code].ca)
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - BACKDATE)
            .next_update(next_update or now + CRL_LIFETIME)
        )
        for cert in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
                .revocation_date(now - BACKDATE).build()
            )
        pem = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
        path = self.directory / "partners" / code / "crl.pem"
        path.write_bytes(pem)
        trust = self.trust_dir / "partners" / f"{code}.crl"
        trust.parent.mkdir(parents=True, exist_ok=True)
        trust.write_bytes(pem)
        return trust

    def rotate_hub_key(self, kind: KeyType = "ec") -> SigningKey:
        """Issue a new hub signing key and make it active; old ones stay for verification."""
        key = new_key(kind)
        cert = self.issue_hub_signing_cert(key.public_key())
        self.hub_keys.add(key, cert, activate=True)
        if (self.trust_dir / HUB_SIGNING_CA_FILE).exists():
            self.write_trust_store()
        return self.hub_keys.load(key_id_of(cert))

    def issue_hub_signing_cert(self, public_key: Any, **kwargs: Any) -> x509.Certificate:
        """A hub signing certificate for any public key (e.g. one living on a PKCS#11 token)."""
        ca_key, ca_cert = self.load_pair(self.hub_signing_ca)
        return issue_cert(
            public_key, subject_cn=f"MHUB signing {key_id_of(public_key)}", org="MHUB",
            usage="signing", issuer_cert=ca_cert, issuer_key=ca_key, **kwargs,
        )

    def issue_partner_signing_cert(
        self, code: str, *, kind: KeyType = "ec", **kwargs: Any
    ) -> tuple[Any, x509.Certificate]:
        """A fresh partner signing key and certificate (tests: expired, no key usage, ...)."""
        ca_key, ca_cert = self.load_pair(self.partners[code].ca)
        key = new_key(kind)
        cert = issue_cert(
            key.public_key(), subject_cn=f"{code} signing", org=code, usage="signing",
            issuer_cert=ca_cert, issuer_key=ca_key, **kwargs,
        )
        return key, cert

    def write_trust_store(self) -> Path:
        """(Re)write trust/: hub signing CA, every hub signing cert ever issued, partner CAs.

        The TLS CA is deliberately absent: the trust store says who may *sign*.
        """
        trust = self.trust_dir
        write_cert(trust / HUB_SIGNING_CA_FILE, read_certs(self.hub_signing_ca.cert)[0])
        for kid in self.hub_keys.ids():
            write_cert(trust / "hub-signing" / f"{kid}.pem", self.hub_keys.certificate(kid))
        for code, paths in self.partners.items():
            write_cert(trust / "partners" / f"{code}.pem", read_certs(paths.ca.cert)[0])
        return trust

    # ---- paths and loaders ----------------------------------------------
    @property
    def hub_ca(self) -> CertPair:
        return CertPair(self.directory / "hub" / "ca.pem", self.directory / "hub" / "ca.key")

    @property
    def hub_signing_ca(self) -> CertPair:
        d = self.directory / "hub"
        return CertPair(d / "signing-ca.pem", d / "signing-ca.key")

    @property
    def hub_tls_server(self) -> CertPair:
        d = self.directory / "hub" / "tls"
        return CertPair(d / "server.pem", d / "server.key")

    @property
    def hub_keys(self) -> KeyStore:
        return KeyStore(self.directory / "hub" / "signing", self.passphrase)

    @property
    def trust_dir(self) -> Path:
        return self.directory / "trust"

    def hub_signing_key(self, kid: str | None = None, *, pss: bool = False) -> SigningKey:
        return self.hub_keys.load(kid, pss=pss)

    def partner_signing_key(self, code: str) -> SigningKey:
        key, cert = self.load_pair(self.partners[code].signing)
        return SigningKey.from_parts(key, cert)

    def load_pair(self, pair: CertPair) -> tuple[Any, x509.Certificate]:
        return read_private_key(pair.key, self.passphrase), read_certs(pair.cert)[0]

    def _partner_paths(self, code: str) -> PartnerPki:
        d = self.directory / "partners" / code
        return PartnerPki(
            code,
            CertPair(d / "ca.pem", d / "ca.key"),
            CertPair(d / "signing.pem", d / "signing.key"),
            CertPair(d / "tls-client.pem", d / "tls-client.key"),
        )

    def _write(self, pair: CertPair, key: Any, cert: x509.Certificate) -> None:
        write_private_key(pair.key, key, self.passphrase)
        write_cert(pair.cert, cert)
