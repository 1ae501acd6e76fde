"""Unit-tier isolation: every test starts with the pure core's memo caches empty.

``icao_latin`` and ``match_key`` are ``lru_cache``d. A warm cache makes a test's
result depend on which tests ran before it, and hides the functions below the
cache from the test (mutation testing then sees a test that never executes the
transliteration code it claims to check).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from hub.intake.identity import translit


@pytest.fixture(autouse=True)
def _cold_translit_caches() -> Iterator[None]:
    translit.icao_latin.cache_clear()
    translit.match_key.cache_clear()
    translit.match_keys.cache_clear()
    yield


# Property-based tests (hypothesis): modest example counts keep the unit tier in
# seconds, and no per-example deadline, because on a loaded 2-core machine a
# slow example is the scheduler, not the code.
settings.register_profile("unit", max_examples=60, deadline=None)
settings.load_profile("unit")
