from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.devpki import PkiFiles
from tests.support.fixtures import hub_settings, hub_signer, pki, publish  # noqa: F401
from tests.support.partner_client import write_config


@pytest.fixture
def gateway_toml(tmp_path: Path, pki: PkiFiles) -> Path:  # noqa: F811
    return write_config(tmp_path, pki)
