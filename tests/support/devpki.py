"""Test PKI: security's DevPki (hub TLS CA, hub signing CA and key, gateway TLS certificate,
partner CAs with TLS client certificates) plus a foreign CA nobody pins, whose
client certificate claims a real partner's subject.

Keys are generated per test session into a temporary folder and never committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from security.keys import write_cert, write_private_key
from security.pki import CertPair, DevPki, issue_cert, new_ca, new_key


@dataclass
class PkiFiles:
    pki: DevPki
    foreign_client: CertPair  # claims KGZ's subject; issued by a CA no one pins

    @property
    def directory(self) -> Path:
        return self.pki.directory

    @property
    def passphrase(self) -> bytes:
        return self.pki.passphrase

    @property
    def hub_ca(self) -> Path:
        return self.pki.hub_ca.cert

    @property
    def hub_signing_ca(self) -> Path:
        return self.pki.hub_signing_ca.cert

    @property
    def trust_dir(self) -> Path:
        return self.pki.trust_dir

    def client(self, code: str) -> CertPair:
        return self.pki.partners[code].tls_client


def create(folder: Path, partners: list[str]) -> PkiFiles:
    pki = DevPki.create(folder / "pki", partners=partners)  # dev passphrase file in the folder
    ca_key, ca_cert = new_ca("KGZ Migration Service CA", "KGZ")  # same name, other key
    key = new_key("ec")
    cert = issue_cert(
        key.public_key(),
        subject_cn="KGZ gateway client",
        org="KGZ",
        usage="tls-client",
        issuer_cert=ca_cert,
        issuer_key=ca_key,
    )
    foreign = CertPair(folder / "foreign" / "client.pem", folder / "foreign" / "client.key")
    write_private_key(foreign.key, key, pki.passphrase)
    write_cert(foreign.cert, cert)
    return PkiFiles(pki, foreign)
