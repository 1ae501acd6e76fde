"""Transport faults the simulators inject: what agency gateways really do on a bad day.

A :class:`FaultPlan` gives per-kind probabilities. Each request is identified by
its method, path and query (and body digest for SOAP); attempt ``n`` of a request
draws its fault from ``(seed, request, n)``, so a run is reproducible, and after
``max_per_request`` faulted attempts the request succeeds: a client that retries
correctly always gets through, one that does not is caught. ``max_per_request``
large means "the source is down".
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = ("500", "503", "429", "timeout", "reset", "truncated", "slow")
# Attempt counters kept per distinct request; cleared past this many so a long
# run cannot grow the simulator's memory.
MAX_TRACKED_REQUESTS = 100_000


@dataclass(frozen=True, slots=True)
class FaultPlan:
    #: kind -> probability per attempt (kinds in FAULT_KINDS)
    rates: dict[str, float] = field(default_factory=dict)
    #: faulted attempts per request before it is served normally
    max_per_request: int = 2
    #: path prefixes the plan applies to (empty: every data endpoint)
    paths: tuple[str, ...] = ()
    #: Retry-After sent with 429 (seconds)
    retry_after_s: int = 1
    #: how long a "timeout" response stalls before the connection is dropped
    timeout_s: float = 2.0
    #: total extra time a "slow" response takes, spread over its body
    slow_s: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if sum(self.rates.values()) > 1.0:
            raise ValueError("fault rates must sum to at most 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        data = dict(data)
        if "paths" in data:
            data["paths"] = tuple(data["paths"])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["paths"] = list(self.paths)
        return d


NO_FAULTS = FaultPlan()


class FaultInjector:
    """Decides, per request attempt, which fault (if any) to inject; counts what it did."""

    def __init__(self, plan: FaultPlan = NO_FAULTS) -> None:
        self._lock = threading.Lock()
        self._plan = plan
        self._attempts: dict[str, int] = {}
        self.injected: dict[str, int] = {}

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def set_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan
            self._attempts.clear()

    def decide(self, request_key: str, path: str) -> str | None:
        plan = self._plan
        if not plan.rates or (plan.paths and not path.startswith(plan.paths)):
            return None
        with self._lock:
            if len(self._attempts) > MAX_TRACKED_REQUESTS:
                self._attempts.clear()
            n = self._attempts.get(request_key, 0) + 1
            self._attempts[request_key] = n
            if n > plan.max_per_request:
                return None
        digest = hashlib.blake2b(f"{plan.seed}|{request_key}|{n}".encode(), digest_size=8)
        x = int.from_bytes(digest.digest(), "big") / 2**64
        for kind, rate in plan.rates.items():
            if x < rate:
                with self._lock:
                    self.injected[kind] = self.injected.get(kind, 0) + 1
                return kind
            x -= rate
        return None
