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
from security.pki import DevPki
from security.trust import TrustStore


def pki_dir(settings: Settings) -> Path:
    return settings.var_dir / "pki"


def open_pki(settings: Settings) -> DevPki:
    """Open the PKI, creating a development one if there is none (process-safe)."""
    directory = pki_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory.parent / ".pki.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / "hub" / "ca.pem").exists():
            return DevPki.create(directory)
        return DevPki.open(directory)


def trust_store(settings: Settings) -> TrustStore:
    return TrustStore.load(open_pki(settings).trust_dir)
