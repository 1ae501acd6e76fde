"""The bureau's published figures beside the hub's own, with the gap and its likely cause.

The bureau (statistics family, SDMX ``Observation`` events) publishes arrivals
and departures per region, month and partner group. The hub counts the same
flows from person-level events (``definitions``). Where they differ, the
likely cause is named, in this order of evidence:

1. **records still in quarantine**: the DLQ holds records of the agency that
   reports this flow (they are missing from the hub until fixed and resent);
2. **late corrections**: corrected events of this flow were recorded after the
   bureau published (the bureau counted the first version);
3. otherwise **missing records of <agency>**: the hub has fewer (or more)
   records than the bureau counted; the agency is the source that reports the
   flow (for arrivals and departures, the interior ministry's residence permits).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hub.ops.statistics import definitions as d
from hub.ops.statistics.figures import Table
from hub.ops.statistics.periods import Period
from hub.ops.statistics.reference import region_name, region_names
from hub.ops.statistics.store import FactStore

#: the record type (and so the agency) each flow is counted from
FLOW_RECORDS = {"arrivals": "ResidencePermit", "departures": "ResidencePermit"}
_HUB_KIND = {"arrivals": d.ARRIVAL, "departures": d.DEPARTURE}
_BUREAU_KIND = {"arrivals": d.BUREAU_ARRIVAL, "departures": d.BUREAU_DEPARTURE}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What else the hub knows about a flow: who reports it, what is held back."""

    sources: tuple[str, ...]  # sources whose events feed the flow
    quarantined: int = 0  # records of those sources in the DLQ
    late_corrections: int = 0  # corrections recorded after the bureau published


def likely_cause(gap: int, evidence: Evidence) -> str:
    agency = ", ".join(evidence.sources) or "the reporting agency"
    if gap == 0:
        return ""
    if gap > 0 and evidence.quarantined:
        return f"records still in quarantine ({evidence.quarantined} from {agency})"
    if evidence.late_corrections:
        return f"late corrections ({evidence.late_corrections} after publication, {agency})"
    if gap > 0:
        return f"missing records of {agency} ({gap} fewer than the bureau counted)"
    return f"records of {agency} the bureau has not counted ({-gap} more)"


def reconcile(store: FactStore, period: Period, evidence: Evidence | None = None) -> Table:
    """One row per region and flow: bureau, hub, gap (bureau - hub), gap %, likely cause."""
    counts: dict[str, Counter[str]] = {}
    for flow in ("arrivals", "departures"):
        c: Counter[str] = Counter()
        for f in store.facts(
            (_HUB_KIND[flow], _BUREAU_KIND[flow]), period.first_day, period.last_day
        ):
            c[(f.kind == _BUREAU_KIND[flow], f.region)] += f.value  # type: ignore[index]
        counts[flow] = c
    if evidence is None:
        evidence = Evidence(tuple(sorted(store.sources((d.ARRIVAL, d.DEPARTURE)))))
    t = Table(
        "reconciliation",
        "The bureau's figures beside the hub's",
        "persons",
        ["region", "flow", "bureau", "hub", "gap", "gap %", "likely cause"],
    )
    for prefix in region_names():
        for flow in ("arrivals", "departures"):
            bureau = counts[flow][(True, prefix)]  # type: ignore[index]
            hub = counts[flow][(False, prefix)]  # type: ignore[index]
            if bureau == 0 and hub == 0:
                continue
            gap = bureau - hub
            pct = round(100 * gap / bureau, 1) if bureau else ""
            t.rows.append(
                [region_name(prefix), flow, bureau, hub, gap, pct, likely_cause(gap, evidence)]
            )
    return t


def has_bureau_figures(store: FactStore, period: Period) -> bool:
    kinds = (d.BUREAU_ARRIVAL, d.BUREAU_DEPARTURE)
    return next(store.facts(kinds, period.first_day, period.last_day), None) is not None
