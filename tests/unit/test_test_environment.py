"""The test suite's own switches (tests/support/environment.py): read as flags, never
as hub settings."""

from __future__ import annotations

import pytest

from hub.config import load_settings
from tests.support.environment import KEEP_BROKER, flag


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", True), ("true", True), ("YES", True), ("on", True),
    ("0", False), ("false", False), ("no", False), ("", False),
])
def test_a_switch_is_a_flag(raw: str, expected: bool) -> None:
    assert flag(KEEP_BROKER, {KEEP_BROKER: raw}) is expected


def test_a_bad_value_names_the_switch() -> None:
    with pytest.raises(ValueError, match=r"MHUB_TEST_KEEP_BROKER='maybe': expected 1/true"):
        flag(KEEP_BROKER, {KEEP_BROKER: "maybe"})


def test_the_hub_does_not_see_them() -> None:
    assert load_settings({KEEP_BROKER: "1", "MHUB_TEST_WORKERS": "0"}) == load_settings({})
