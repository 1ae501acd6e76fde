"""The development PKI for the CLI tests (made once per session, keys only under tmp)."""

from __future__ import annotations

import pytest

from security.pki import DevPki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return DevPki.create(tmp_path_factory.mktemp("pki"), passphrase=b"test-passphrase")
