"""Headless Chromium for the tests that look at a page as a person would (the Airflow UI,
the statistics report), and the one folder their screenshots are kept in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hub.config import PROJECT_ROOT

#: screenshots and other things a person looks at after a run
ARTEFACTS = PROJECT_ROOT / "var" / "test-artefacts"
# A page (even the React UI with its virtual-time budget) renders within seconds; a minute
# and a half covers a loaded two-core machine.
CHROMIUM_TIMEOUT_S = 90
# Offline, no first-run or update traffic, no GPU (the test machine has none).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def executable() -> str:
    """Debian's chromium (installed by infra/setup.sh), or skip where it cannot be."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("no chromium on PATH")


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run with its own profile directory."""
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [executable(), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=CHROMIUM_TIMEOUT_S,
    )
