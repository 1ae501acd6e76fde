"""Figures of the migration programmes: labour quotas, kandas, asylum, enforcement."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from hub.statistics import definitions as d
from hub.statistics.figures import Table
from hub.statistics.periods import Period
from hub.statistics.reference import country_name, region_name, region_names
from hub.statistics.store import FactStore

# Quotas are looked up by their quota year, not the day of their decision
# (decided the year before, or revised during the year): every decision ever made.
_ALL_DAYS = ("0000-01-01", "9999-12-31")

#: what tells one quota apart from another (a later decision on the same key replaces it)
KeyOf = Callable[[d.Fact], tuple[str, ...]]


def _year_span(period: Period) -> tuple[str, str]:
    """Quotas are set per calendar year: a quarter or month is judged against its year's."""
    year = period.first_day[:4]
    return f"{year}-01-01", f"{year}-12-31"


def latest_decisions(store: FactStore, kind: str, period: Period, key: KeyOf) -> list[d.Fact]:
    """The decisions in force at the period's end for its year: per ``key``, those of the
    latest decision day (a revision replaces what it revises; one day's decisions add up)."""
    year = period.first_day[:4]
    decisions = [
        f
        for f in store.facts((kind,), *_ALL_DAYS)
        if f.quota_year == year and f.day <= period.last_day
    ]
    latest: dict[tuple[str, ...], str] = {}
    for f in decisions:
        latest[key(f)] = max(latest.get(key(f), ""), f.day)
    return [f for f in decisions if f.day == latest[key(f)]]


def quota_use(store: FactStore, period: Period) -> Table:
    """Work permits issued in the period against the year's quota, by region and sector."""
    first, _ = _year_span(period)
    allotted: Counter[tuple[str, str]] = Counter()
    declared: Counter[tuple[str, str]] = Counter()
    in_force = latest_decisions(store, d.QUOTA, period, lambda f: (f.region, f.sector, f.category))
    for f in in_force:
        allotted[(f.region, f.sector)] += f.value
        declared[(f.region, f.sector)] += f.used
    issued: Counter[tuple[str, str]] = Counter()
    for f in store.facts((d.WORK_PERMIT,), period.first_day, period.last_day):
        issued[(f.region, f.sector)] += f.value
    t = Table(
        "quota_use",
        f"Work permits against the {first[:4]} quota, by region and sector",
        "permits",
        ["region", "sector", "quota", "used (ministry)", "permits issued (hub)", "use %"],
    )
    for region, sector in sorted(set(allotted) | set(issued)):
        q = allotted[(region, sector)]
        n = issued[(region, sector)]
        pct = round(100 * n / q, 1) if q else ""
        t.rows.append([region_name(region), sector, q, declared[(region, sector)], n, pct])
    return t


def permits_by_citizenship(store: FactStore, period: Period) -> Table:
    c: Counter[str] = Counter(
        f.country for f in store.facts((d.WORK_PERMIT,), period.first_day, period.last_day)
    )
    t = Table(
        "permits_by_citizenship",
        "Work permits issued by citizenship",
        "permits",
        ["country", "name", "permits"],
    )
    for country, n in c.most_common():
        t.rows.append([country, country_name(country), n])
    return t


def kandas(store: FactStore, period: Period) -> Table:
    """Kandas admission decisions of the period by quota year and status."""
    c: Counter[tuple[str, str]] = Counter(
        (f.quota_year, f.status)
        for f in store.facts((d.KANDAS,), period.first_day, period.last_day)
    )
    t = Table(
        "kandas_admissions",
        "Kandas admission decisions by quota year",
        "persons",
        ["quota year", "admitted", "waitlisted", "refused"],
    )
    for year in sorted({y for y, _ in c}):
        t.rows.append([year, c[(year, "ADMITTED")], c[(year, "WAITLISTED")], c[(year, "REFUSED")]])
    return t


def kandas_quota_by_region(store: FactStore, period: Period) -> Counter[str]:
    """The year's kandas quota per region as decided by the period's end: the latest decision."""
    quota: Counter[str] = Counter()
    for f in latest_decisions(store, d.KANDAS_QUOTA, period, lambda f: (f.region,)):
        quota[f.region] += f.value
    return quota


def kandas_quota_use(store: FactStore, period: Period) -> Table:
    """Kandas admitted in the period against the year's quota, by region."""
    year = period.first_day[:4]
    quota = kandas_quota_by_region(store, period)
    admitted: Counter[str] = Counter(
        f.region
        for f in store.facts((d.KANDAS,), period.first_day, period.last_day)
        if f.status == "ADMITTED" and f.quota_year == year
    )
    t = Table(
        "kandas_quota_use",
        f"Kandas admissions against the {year} quota, by region",
        "persons",
        ["region", "kato", "quota", "admitted", "use %"],
    )
    for region in (*region_names(), ""):  # KATO order; "": a code naming no region
        if region not in quota and region not in admitted:
            continue
        q, n = quota[region], admitted[region]
        t.rows.append([region_name(region), region, q, n, round(100 * n / q, 1) if q else ""])
    return t


def asylum(store: FactStore, period: Period) -> Table:
    apps: Counter[str] = Counter(
        f.country for f in store.facts((d.ASYLUM,), period.first_day, period.last_day)
    )
    decisions = list(store.facts((d.REFUGEE,), period.first_day, period.last_day))
    granted: Counter[str] = Counter(f.country for f in decisions if f.status == "GRANTED")
    refused: Counter[str] = Counter(f.country for f in decisions if f.status == "REFUSED")
    t = Table(
        "asylum",
        "Asylum applications and refugee-status decisions",
        "persons",
        ["country", "name", "applications", "granted", "refused"],
    )
    for country in sorted(set(apps) | set(granted) | set(refused)):
        t.rows.append(
            [country, country_name(country), apps[country], granted[country], refused[country]]
        )
    return t


def enforcement(store: FactStore, period: Period) -> Table:
    dep: Counter[str] = Counter(
        f.country for f in store.facts((d.DEPORTATION,), period.first_day, period.last_day)
    )
    bans: Counter[str] = Counter(
        f.country for f in store.facts((d.ENTRY_BAN,), period.first_day, period.last_day)
    )
    t = Table(
        "enforcement",
        "Deportations and entry bans by citizenship",
        "persons",
        ["country", "name", "deportations", "entry bans"],
    )
    for country in sorted(set(dep) | set(bans), key=lambda c: (-(dep[c] + bans[c]), c)):
        t.rows.append([country, country_name(country), dep[country], bans[country]])
    return t


def programme_tables(store: FactStore, period: Period) -> list[Table]:
    return [
        quota_use(store, period),
        permits_by_citizenship(store, period),
        kandas(store, period),
        kandas_quota_use(store, period),
        asylum(store, period),
        enforcement(store, period),
    ]
