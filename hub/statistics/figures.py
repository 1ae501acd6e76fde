"""The figures of one period, summed from the fact store, as tables.

Every table is a :class:`Table` (title, unit, columns, rows) so the report can
draw it, write it as CSV and show it as HTML without knowing what it holds.
Regions are named as in ``schemas/data/kato_regions.csv`` (``name_en``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from hub.statistics import definitions as d
from hub.statistics.periods import Period
from hub.statistics.reference import country_name, group_of, region_names
from hub.statistics.store import FactStore

# Countries shown by name in the CIS / non-CIS table; the rest are summed as "other".
TOP_COUNTRIES = 12
GROUPS = ("CIS", "non-CIS")


@dataclass
class Table:
    name: str  # file stem: saldo_by_region -> saldo_by_region.csv
    title: str
    unit: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]


@dataclass
class Figures:
    period: Period
    tables: dict[str, Table]
    arrivals: int
    departures: int

    def targets_shape(self) -> dict[str, Any]:
        """The figures in the shape of a ``python -m infra.year --targets`` file."""
        groups = self.tables["saldo_by_group"]
        internal = self.tables["internal_by_region"]
        kandas = self.tables["kandas_quota_use"]
        return {
            "period": self.period.label,
            "arrivals": self.arrivals,
            "departures": self.departures,
            "balance_by_group": {
                g.replace("-", "_"): s
                for g, s in zip(groups.column("group"), groups.column("saldo"), strict=True)
            },
            "internal_balance_by_region": dict(
                zip(internal.column("region"), internal.column("balance"), strict=True)
            ),
            "kandas_quota": sum(kandas.column("quota")),
            "kandas_admissions": sum(kandas.column("admitted")),
        }


def _flows(store: FactStore, period: Period) -> list[d.Fact]:
    return list(store.facts((d.ARRIVAL, d.DEPARTURE), period.first_day, period.last_day))


def _by(facts: list[d.Fact], key: Any) -> dict[Any, Counter[str]]:
    out: dict[Any, Counter[str]] = defaultdict(Counter)
    for f in facts:
        out[key(f)][f.kind] += f.value
    return out


def saldo_by_region(flows: list[d.Fact]) -> Table:
    by = _by(flows, lambda f: f.region)
    t = Table(
        "saldo_by_region",
        "International migration by region",
        "persons",
        ["region", "kato", "arrivals", "departures", "saldo"],
    )
    for prefix, name in region_names().items():
        a, dep = by[prefix][d.ARRIVAL], by[prefix][d.DEPARTURE]
        t.rows.append([name, prefix, a, dep, a - dep])
    return t


def saldo_by_group(flows: list[d.Fact]) -> Table:
    by = _by(flows, lambda f: group_of(f.country) or "unknown")
    t = Table(
        "saldo_by_group",
        "CIS and non-CIS migration",
        "persons",
        ["group", "arrivals", "departures", "saldo"],
    )
    for g in (*GROUPS, *(k for k in sorted(by) if k not in GROUPS)):
        a, dep = by[g][d.ARRIVAL], by[g][d.DEPARTURE]
        t.rows.append([g, a, dep, a - dep])
    return t


def by_country(flows: list[d.Fact]) -> Table:
    by = _by(flows, lambda f: f.country or "unknown")
    ranked = sorted(by, key=lambda c: (-(by[c][d.ARRIVAL] + by[c][d.DEPARTURE]), c))
    t = Table(
        "migration_by_country",
        "Migration by country of citizenship",
        "persons",
        ["country", "name", "group", "arrivals", "departures", "saldo"],
    )
    for c in ranked[:TOP_COUNTRIES]:
        a, dep = by[c][d.ARRIVAL], by[c][d.DEPARTURE]
        t.rows.append([c, country_name(c), group_of(c), a, dep, a - dep])
    rest = ranked[TOP_COUNTRIES:]
    if rest:
        a = sum(by[c][d.ARRIVAL] for c in rest)
        dep = sum(by[c][d.DEPARTURE] for c in rest)
        t.rows.append(["other", f"{len(rest)} other countries", "", a, dep, a - dep])
    return t


def by_month(flows: list[d.Fact], period: Period) -> Table:
    by = _by(flows, lambda f: f.day[:7])
    t = Table(
        "migration_by_month",
        "Arrivals and departures by month",
        "persons",
        ["month", "arrivals", "departures", "saldo"],
    )
    for m in period.months():
        a, dep = by[m][d.ARRIVAL], by[m][d.DEPARTURE]
        t.rows.append([m, a, dep, a - dep])
    return t


def internal_by_region(store: FactStore, period: Period) -> Table:
    moves = list(store.facts((d.INTERNAL,), period.first_day, period.last_day))
    out_of: Counter[str] = Counter()
    into: Counter[str] = Counter()
    for f in moves:
        out_of[f.region] += f.value
        into[f.region_to] += f.value
    t = Table(
        "internal_by_region",
        "Internal migration between regions",
        "persons",
        ["region", "kato", "in", "out", "balance"],
    )
    for prefix, name in region_names().items():
        t.rows.append([name, prefix, into[prefix], out_of[prefix], into[prefix] - out_of[prefix]])
    return t


def compute(store: FactStore, period: Period) -> Figures:
    """Every table of ``period``."""
    from hub.statistics.programmes import programme_tables

    flows = _flows(store, period)
    tables = [
        saldo_by_region(flows),
        saldo_by_group(flows),
        by_country(flows),
        by_month(flows, period),
        internal_by_region(store, period),
        *programme_tables(store, period),
    ]
    arrivals = sum(f.value for f in flows if f.kind == d.ARRIVAL)
    departures = sum(f.value for f in flows if f.kind == d.DEPARTURE)
    return Figures(period, {t.name: t for t in tables}, arrivals, departures)
