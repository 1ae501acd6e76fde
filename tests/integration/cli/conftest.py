"""A development PKI made once per session for the ``mhub keys`` / ``mhub verify`` tests."""

from __future__ import annotations

import pytest

from security.pki import DevPki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return DevPki.create(tmp_path_factory.mktemp("pki"), passphrase=b"test-passphrase")
