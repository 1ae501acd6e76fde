"""The bureau's published figures beside the hub's own, with the gap and its likely cause.

The bureau (statistics family, SDMX ``Observation`` events) publishes arrivals
and departures per region, month and partner group. The hub counts the same
flows from person-level events (``definitions``). Where they differ, the
likely cause of a region's gap is named from the evidence, in this order:

1. **records still in quarantine**: the DLQ holds records of the agency that
   would have counted in this region, flow and period (``evidence``); they are
   missing from the hub until fixed and resent;
2. **late corrections**: events of this flow and region corrected by the
   agency after the bureau published (the time of the bureau's observations,
   from the SDMX header's ``Prepared``): the bureau counted the first version;
3. otherwise **missing records of <agency>**: the hub has fewer (or more)
   records than the bureau counted; the agency is the source that reports the
   flow (for arrivals and departures, the interior ministry's residence permits).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hub.statistics import definitions as d
from hub.statistics.figures import Table
from hub.statistics.periods import Period
from hub.statistics.reference import region_name, region_names
from hub.statistics.store import FactStore

#: the record type (and so the agency) each flow is counted from
FLOW_RECORDS = {"arrivals": "ResidencePermit", "departures": "ResidencePermit"}
_HUB_KIND = {"arrivals": d.ARRIVAL, "departures": d.DEPARTURE}
_BUREAU_KIND = {"arrivals": d.BUREAU_ARRIVAL, "departures": d.BUREAU_DEPARTURE}


@dataclass(frozen=True)
class Evidence:
    """What else the hub knows about a flow: who reports it, what is held back."""

    sources: tuple[str, ...]  # sources whose events feed the flows
    #: (fact kind, region, source) -> records in the DLQ that would have counted
    quarantined: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    #: (fact kind, region) -> corrections recorded after the bureau published
    late: Counter[tuple[str, str]] = field(default_factory=Counter)
    published: str = ""  # when the bureau published (UTC), "" when unknown

    def held(self, kind: str, region: str) -> dict[str, int]:
        """Quarantined records per source for one flow and region."""
        return {s: n for (k, r, s), n in self.quarantined.items() if k == kind and r == region}


def likely_cause(gap: int, evidence: Evidence, kind: str = "", region: str = "") -> str:
    """The gap's likely cause in words, with its size and the agency."""
    if gap == 0:
        return ""
    agency = ", ".join(evidence.sources) or "the reporting agency"
    parts: list[str] = []
    held = evidence.held(kind, region)
    rest = gap
    if gap > 0 and held:
        n = sum(held.values())
        who = ", ".join(f"{c} from {s}" for s, c in sorted(held.items()))
        parts.append(f"records still in quarantine ({who})")
        rest = gap - min(n, gap)
    late = evidence.late[(kind, region)]
    if rest and late:
        when = f" ({evidence.published})" if evidence.published else ""
        parts.append(f"late corrections ({late} of {agency} after the bureau published{when})")
    elif rest > 0:
        parts.append(f"missing records of {agency} ({rest} fewer than the bureau counted)")
    elif rest < 0:
        parts.append(f"records of {agency} the bureau has not counted ({-rest} more)")
    return "; ".join(parts)


def gather_evidence(
    store: FactStore, period: Period, quarantined: Counter[tuple[str, str, str]] | None = None
) -> Evidence:
    """The store's own evidence (sources, late corrections) plus the DLQ's, if read."""
    bureau = (d.BUREAU_ARRIVAL, d.BUREAU_DEPARTURE)
    published = store.latest_update(bureau, period.first_day, period.last_day)
    late: Counter[tuple[str, str]] = Counter()
    if published:
        flows = (d.ARRIVAL, d.DEPARTURE)
        for f in store.corrections_after(flows, period.first_day, period.last_day, published):
            late[(f.kind, f.region)] += 1
    return Evidence(
        tuple(sorted(store.sources((d.ARRIVAL, d.DEPARTURE)))),
        quarantined or Counter(),
        late,
        published,
    )


def reconcile(store: FactStore, period: Period, evidence: Evidence | None = None) -> Table:
    """One row per region and flow: bureau, hub, gap (bureau - hub), gap %, likely cause."""
    counts: dict[str, Counter[tuple[bool, str]]] = {}
    for flow in ("arrivals", "departures"):
        c: Counter[tuple[bool, str]] = Counter()
        for f in store.facts(
            (_HUB_KIND[flow], _BUREAU_KIND[flow]), period.first_day, period.last_day
        ):
            c[(f.kind == _BUREAU_KIND[flow], f.region)] += f.value
        counts[flow] = c
    if evidence is None:
        evidence = gather_evidence(store, period)
    t = Table(
        "reconciliation",
        "The bureau's figures beside the hub's",
        "persons",
        ["region", "flow", "bureau", "hub", "gap", "gap %", "likely cause"],
    )
    for prefix in region_names():
        for flow in ("arrivals", "departures"):
            bureau, hub = counts[flow][(True, prefix)], counts[flow][(False, prefix)]
            if bureau == 0 and hub == 0:
                continue
            gap = bureau - hub
            pct = round(100 * gap / bureau, 1) if bureau else ""
            cause = likely_cause(gap, evidence, _HUB_KIND[flow], prefix)
            t.rows.append([region_name(prefix), flow, bureau, hub, gap, pct, cause])
    return t
