"""Fault injection for the crash tests: a real SIGKILL at a named commit boundary.

The hub's Kafka transaction layer (:mod:`hub.kafka.transactions`) passes every
commit boundary through :meth:`FaultHook.reached` with a name such as
``stage1.before-commit`` or ``stage2.after-commit``. ``HUB_CRASH_AT=NAME[:N]``
(settings ``crash_at``; for tests only) kills the process the N-th time it
reaches NAME, so a test can prove that nothing is lost or doubled whatever
the boundary; ``NAME:N:stop`` stops it instead (SIGSTOP, a stalled stage that
a test resumes with SIGCONT, e.g. past the transaction timeout). Unset, as
always in production, a boundary costs one comparison.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class FaultHook:
    """Kills this process at the configured boundary; does nothing when unset."""

    spec: str = ""
    _seen: dict[str, int] = field(default_factory=dict)

    def reached(self, boundary: str, settle: Callable[[], object] | None = None) -> None:
        """Pass a boundary; ``settle`` runs just before a fault fires there (e.g. a flush,
        so a stalled or killed stage has really sent what its transaction holds)."""
        if not self.spec:
            return
        target, _, rest = self.spec.partition(":")
        if target != boundary:
            return
        nth, _, action = rest.partition(":")
        self._seen[boundary] = self._seen.get(boundary, 0) + 1
        if self._seen[boundary] == int(nth or 1):
            if settle is not None:
                settle()
            os.kill(os.getpid(), signal.SIGSTOP if action == "stop" else signal.SIGKILL)
