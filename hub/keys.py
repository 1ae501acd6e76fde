"""The hub's keys at run time: the PKI under ``var/pki``, created on first local use.

In production the PKI directory holds keys issued by the real CA (and the
passphrase comes from ``HUB_KEY_PASSPHRASE``); locally, the first run creates a
development PKI so that ``make run`` needs no manual key ceremony. Private keys
are generated here, never committed.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from hub.config import Settings
from hub.errors import map_errors
from security.pki import DevPki
from security.trust import TrustStore


def pki_dir(settings: Settings) -> Path:
    return settings.var_dir / "pki"


def trust_dir(settings: Settings) -> Path:
    """The trust store ``mhub keys`` writes (hub CAs and signing certificates, partner CAs):
    what a consumer of the hub's events checks them against (``DevPki.trust_dir``)."""
    return pki_dir(settings) / "trust"


def open_pki(settings: Settings) -> DevPki:
    """Open the PKI, creating a development one if there is none (process-safe)."""
    directory = pki_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory.parent / ".pki.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with map_errors():
            if not (directory / "hub" / "ca.pem").exists():
                return DevPki.create(directory, passphrase=key_passphrase(settings))
            return DevPki.open(directory, passphrase=key_passphrase(settings))


def key_passphrase(settings: Settings) -> bytes | None:
    """The configured key passphrase; None lets security use the dev passphrase file."""
    return settings.key_passphrase.encode() or None


def trust_store(settings: Settings) -> TrustStore:
    pki = open_pki(settings)
    with map_errors():
        return TrustStore.load(pki.trust_dir)
