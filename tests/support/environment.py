"""The test suite's own switches, read here and nowhere in the product.

They are named ``MHUB_TEST_…``, not ``HUB_…``: the hub refuses any ``HUB_…`` variable it
does not know (``hub.config.load_settings``), so a test switch under that prefix would
make every command of a test session fail.

``MHUB_TEST_KEEP_BROKER=1``: leave running a local broker the test session started
(for a run of tests after this one); ``MHUB_TEST_WORKERS=N`` (``infra/test.sh``): the
integration tier's pytest-xdist workers.
"""

from __future__ import annotations

import os

KEEP_BROKER = "MHUB_TEST_KEEP_BROKER"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


def flag(name: str, env: dict[str, str] | None = None) -> bool:
    """A yes/no switch of the test suite; a value that is neither is an error naming it."""
    raw = (os.environ if env is None else env).get(name, "").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise ValueError(f"{name}={raw!r}: expected 1/true/yes/on or 0/false/no/off")
    return raw in _TRUE


def keep_broker() -> bool:
    return flag(KEEP_BROKER)
