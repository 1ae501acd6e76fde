"""Fixtures for the agency simulators: real HTTP(S) servers on ephemeral ports.

Imported by ``tests/conftest.py``. ``make_simulator(**options)`` starts an
:class:`~infra.agencies.server.AgencySimulator` in a background thread on
127.0.0.1:0 and stops it after the test; ``tls_files`` creates a throw-away CA,
a server certificate for 127.0.0.1 and a client certificate (never committed).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from connectors.http import TransportConfig
from infra.agencies.generator import Generator, GeneratorConfig, Rates
from infra.agencies.server import AgencySimulator

# Transport settings for tests: real retries with short back-off, so fault tests stay
# fast. The timeouts are NOT short: the simulators answer from this same process, and
# on a loaded 2-core machine an ordinary page can take a second or more; a 1 s read
# timeout then turns a healthy reply into a spurious retry (and, four times over, a
# failed test). A test of read timeouts uses STALL_TRANSPORT with a stall far longer.
FAST_TRANSPORT = TransportConfig(
    connect_timeout_s=10.0,
    read_timeout_s=15.0,
    max_attempts=4,
    backoff_base_s=0.02,
    backoff_max_s=0.1,
)
# For the "timeout" fault only: the client gives up after this read timeout, and the
# simulator's stall (STALL_S) outlasts it many times over, so the timeout is what ends
# the request whatever the load; healthy replies still get 3 s.
STALL_TRANSPORT = TransportConfig(
    connect_timeout_s=10.0,
    read_timeout_s=3.0,
    max_attempts=4,
    backoff_base_s=0.02,
    backoff_max_s=0.1,
)
STALL_S = 60.0


@pytest.fixture
def make_simulator() -> Iterator[Callable[..., AgencySimulator]]:
    started: list[AgencySimulator] = []

    def make(
        *,
        seed: int = 1,
        rates: Rates | None = None,
        generator: Generator | None = None,
        **options: Any,
    ) -> AgencySimulator:
        gen = generator or Generator(
            GeneratorConfig(seed=seed, population=50_000, rates=rates or Rates())
        )
        sim = AgencySimulator(gen, **options).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@dataclass(frozen=True)
class TlsMaterial:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_client_cert: Path  # issued by a CA the server does not trust
    other_client_key: Path


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert(
    subject: str, key: Any, issuer: x509.Name, issuer_key: Any, *, ca: bool, server: bool = False
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    b = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        b = b.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif not ca:
        b = b.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return b.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    d = tmp_path_factory.mktemp("tls")
    out: dict[str, Path] = {}

    def write(name: str, data: bytes) -> Path:
        p = d / name
        p.write_bytes(data)
        out[name] = p
        return p

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Agency test CA")])
    ca = _cert("Agency test CA", ca_key, ca_name, ca_key, ca=True)
    write("ca.pem", ca.public_bytes(serialization.Encoding.PEM))
    for name, server in (("server", True), ("client", False)):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(f"agency {name}", key, ca_name, ca_key, ca=False, server=server)
        write(f"{name}.pem", cert.public_bytes(serialization.Encoding.PEM))
        write(f"{name}.key", _key_pem(key))
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    rogue_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Rogue CA")])
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("rogue client", key, rogue_name, rogue_key, ca=False)
    write("rogue.pem", cert.public_bytes(serialization.Encoding.PEM))
    write("rogue.key", _key_pem(key))
    return TlsMaterial(
        out["ca.pem"],
        out["server.pem"],
        out["server.key"],
        out["client.pem"],
        out["client.key"],
        out["rogue.pem"],
        out["rogue.key"],
    )
