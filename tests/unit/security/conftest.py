"""A development PKI made once per test session (private keys only under tmp)."""

from __future__ import annotations

from pathlib import Path

import pytest

from security.pki import DevPki
from security.trust import TrustStore


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return DevPki.create(tmp_path_factory.mktemp("pki"), passphrase=b"test-passphrase")


@pytest.fixture(scope="session")
def trust(pki: DevPki) -> TrustStore:
    return TrustStore.load(pki.trust_dir)


@pytest.fixture
def fresh_pki(tmp_path: Path) -> DevPki:
    """A PKI a test may change (rotation)."""
    return DevPki.create(tmp_path / "pki", partners=["UZB"], passphrase=b"pw")
