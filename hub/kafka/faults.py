"""Named crash points for the exactly-once tests: a real SIGKILL at an exact place.

``HUB_CRASH_AT=stage2.before-commit:3`` kills the process the third time it
passes ``crash_point("stage2.before-commit")``. Unset (always, in production)
this costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def crash_point(name: str) -> None:
    spec = os.environ.get("HUB_CRASH_AT")
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
