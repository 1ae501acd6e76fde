"""Revocation of partner client certificates: each partner's CRL, checked per request.

A partner names its CRL in ``gateway.toml`` (``crl = ".../KGZ.crl"``, PEM or
DER, issued by the partner's pinned CA). The gateway checks every request's
client certificate against it after the handshake, so a revoked certificate is
answered with a SOAP fault naming the reason rather than a bare TLS alert. The
file is re-read when it changes on disk (operators drop in a fresh CRL without a
restart). Fail closed: a CRL that is unreadable, not signed by the partner's CA
or past its ``nextUpdate`` refuses that partner until a good one is installed,
since an attacker who can block CRL updates must not thereby undo a revocation.
A partner configured without a CRL is not checked (say so in its agreement).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from hub.deliver.gateway.soap import SoapFault


@dataclass(frozen=True, slots=True)
class _Loaded:
    mtime_ns: int
    crl: x509.CertificateRevocationList | None
    problem: str  # why the CRL cannot be used; empty when it can


class RevocationChecker:
    """Per-partner CRLs, loaded lazily and reloaded when their file changes."""

    def __init__(self, crls: dict[str, tuple[Path, x509.Certificate]]) -> None:
        self._crls = crls  # partner code -> (CRL path, the partner's CA that must sign it)
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def check(
        self, partner: str, leaf: x509.Certificate, *, now: dt.datetime | None = None
    ) -> None:
        """Raise an AccessDenied SoapFault if ``leaf`` is revoked or cannot be checked."""
        if partner not in self._crls:
            return
        now = now or dt.datetime.now(dt.UTC)
        loaded = self._load(partner)
        if loaded.crl is None:
            raise SoapFault(f"revocation cannot be checked for {partner}: {loaded.problem}",
                            subcode="AccessDenied")
        next_update = loaded.crl.next_update_utc
        if next_update is not None and now > next_update:
            raise SoapFault(
                f"the CRL of {partner} expired at {next_update:%Y-%m-%dT%H:%M:%SZ}; "
                "refused until a fresh CRL is installed", subcode="AccessDenied",
            )
        entry = loaded.crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
        if entry is not None:
            raise SoapFault(
                f"client certificate serial {leaf.serial_number:x} was revoked by {partner} "
                f"on {entry.revocation_date_utc:%Y-%m-%d}", subcode="AccessDenied",
            )

    def _load(self, partner: str) -> _Loaded:
        path, ca = self._crls[partner]
        try:
            mtime = path.stat().st_mtime_ns
        except OSError as exc:
            return _Loaded(-1, None, f"CRL {path} unreadable ({exc.strerror})")
        with self._lock:
            cached = self._loaded.get(partner)
            if cached is not None and cached.mtime_ns == mtime:
                return cached
            loaded = _read(path, ca, mtime)
            self._loaded[partner] = loaded
            return loaded


def _read(path: Path, ca: x509.Certificate, mtime: int) -> _Loaded:
    try:
        data = path.read_bytes()
        crl = (x509.load_pem_x509_crl(data) if data.lstrip().startswith(b"-----")
               else x509.load_der_x509_crl(data))
    except (OSError, ValueError) as exc:
        return _Loaded(mtime, None, f"CRL {path} unreadable ({exc})")
    if crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
        return _Loaded(mtime, None, f"CRL {path} is not signed by the partner's pinned CA")
    return _Loaded(mtime, crl, "")
