"""A throwaway PKI for tests: hub CA, hub signing cert, gateway TLS cert, partner CAs
and their TLS client certificates, plus a foreign CA that no one pins.

Keys are generated per test session into a temporary folder and never committed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# partner code -> (ISO 3166 alpha-2 in the certificate subject, organisation)
PARTNER_SUBJECTS = {
    "KGZ": ("KG", "State Migration Service of the Kyrgyz Republic"),
    "UZB": ("UZ", "Migration Agency of the Republic of Uzbekistan"),
    "RUS": ("RU", "Main Directorate for Migration Affairs"),
}


def _name(cn: str, country: str = "KZ", org: str = "Migration Exchange Hub") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Issued:
    cert: Path
    key: Path


class _CA:
    def __init__(self, subject: x509.Name) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )

    def issue(self, folder: Path, stem: str, subject: x509.Name, *, usage: str) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if usage == "sign":
            b = b.add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                critical=True,
            )
        elif usage == "server":
            b = b.add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            b = b.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                False,
            )
        else:
            b = b.add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        cert = b.sign(self.key, hashes.SHA256())
        folder.mkdir(parents=True, exist_ok=True)
        _write_key(folder / f"{stem}.key", key)
        (folder / f"{stem}.pem").write_bytes(_pem(cert))
        return Issued(folder / f"{stem}.pem", folder / f"{stem}.key")

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_pem(self.cert))
        return path


@dataclass
class PkiFiles:
    hub_ca: Path
    signing: Issued
    server: Issued
    partner_ca: dict[str, Path]
    client: dict[str, Issued]
    foreign_ca: Path
    foreign_client: Issued  # claims KGZ's subject, issued by a CA nobody pins


def create(folder: Path, partners: list[str]) -> PkiFiles:
    hub = _CA(_name("MHub Dev Root CA"))
    signing = hub.issue(folder / "hub", "signing", _name("MHub event signing"), usage="sign")
    server = hub.issue(folder / "gateway", "server", _name("localhost"), usage="server")
    partner_ca: dict[str, Path] = {}
    client: dict[str, Issued] = {}
    for code in partners:
        country, org = PARTNER_SUBJECTS[code]
        ca = _CA(_name(f"{code} Exchange CA", country, org))
        partner_ca[code] = ca.write(folder / "partners" / code / "ca.pem")
        client[code] = ca.issue(
            folder / "partners" / code,
            "client",
            _name(f"{code.lower()}-gateway-client", country, org),
            usage="client",
        )
    foreign = _CA(_name("Foreign CA", "KG", PARTNER_SUBJECTS["KGZ"][1]))
    foreign_client = foreign.issue(
        folder / "foreign",
        "client",
        _name("kgz-gateway-client", *PARTNER_SUBJECTS["KGZ"]),
        usage="client",
    )
    return PkiFiles(
        hub_ca=hub.write(folder / "hub" / "ca.pem"),
        signing=signing,
        server=server,
        partner_ca=partner_ca,
        client=client,
        foreign_ca=foreign.write(folder / "foreign" / "ca.pem"),
        foreign_client=foreign_client,
    )
