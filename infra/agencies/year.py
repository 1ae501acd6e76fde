"""A generated year with known totals: person-level records that add up to targets.

``YearPlan.build(targets)`` decides every record of the year (which person,
which region, which day) so that the hub's statistics definitions
(``hub.statistics.definitions``) give exactly the targets:

* arrivals: PERMANENT residence permits ISSUED (interior feed);
* departures: PERMANENT residence permits REVOKED (interior feed);
* balance by group: arrivals minus departures of CIS / non-CIS citizens;
* internal balance by region: kandas resettlements between regions (labour
  feed); regions the targets do not name share the balance that makes the
  country's internal migration sum to zero;
* kandas quota (optional): the year's ``KandasQuota`` decisions, split over the
  regions, one of them first decided higher and then revised (the statistics
  must take the revision); a quota for the next year beside them;
* kandas admissions (optional): ``KandasAdmission`` ADMITTED against the year's
  quota, spread over the regions within their quotas while they last.

Around them come records that must not move those totals: temporary permits,
work permits, labour quotas, kandas admissions refused, waitlisted or against
last year's quota, asylum, deportations, entry bans.
``infra.agencies.year_serve`` serves the plan through the ordinary agency
simulator and the bureau's SDMX view of the same truth, optionally with records
an agency never sent (``drop_arrivals``) or sent invalid, so they sit in the
hub's quarantine (``quarantine_arrivals``), and the figures disagree.
"""

from __future__ import annotations

import random
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from infra.agencies import reference as ref
from infra.agencies.generator import Generator, GeneratorConfig

# Share of departures that are CIS citizens when the targets leave it open.
CIS_DEPARTURE_SHARE = 0.7
# Records that must not count, per counted record (noise the definitions must ignore).
NOISE_PER_RECORD = 0.25
#: an entry's field marking it to be sent invalid (the hub quarantines it)
QUARANTINE = "quarantine"
# The revised region's first quota decision is this many persons above the revision.
KANDAS_REVISED_BY = 10
# Countries kandas come from (ethnic Kazakhs abroad): their CountryOfOrigin.
KANDAS_ORIGINS = ("UZB", "CHN", "MNG", "TKM", "RUS", "IRN")
POPULATION = 20_000  # people drawn from; plenty for a test year, quick to index
ADULT_AGE = 18  # migrants for permanent residence are adults in this plan
NOISE_TYPES = (
    ("interior", "ResidencePermit"),  # TEMPORARY: not migration for permanent residence
    ("interior", "AsylumApplication"),
    ("interior", "RefugeeStatusDecision"),
    ("interior", "Deportation"),
    ("interior", "EntryBan"),
    ("labour", "WorkPermit"),
    ("labour", "LabourQuota"),
    ("labour", "KandasAdmission"),
)
CODES = {
    "ResidencePermit": "RP",
    "KandasResettlement": "KR",
    "AsylumApplication": "AA",
    "RefugeeStatusDecision": "RS",
    "Deportation": "DP",
    "EntryBan": "EB",
    "WorkPermit": "WP",
    "LabourQuota": "LQ",
    "KandasAdmission": "KA",
    "KandasQuota": "KQ",
}


@dataclass(frozen=True)
class Targets:
    year: int
    arrivals: int
    departures: int
    balance_by_group: dict[str, int]  # CIS / non_CIS
    internal_balance_by_region: dict[str, int]  # KATO prefix -> balance (all regions)
    kandas_quota: int | None = None  # persons, over all regions
    kandas_admissions: int | None = None  # ADMITTED against the year's quota

    @classmethod
    def load(cls, path: Path) -> Targets:
        return cls.from_mapping(tomllib.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> Targets:
        from hub.statistics.reference import region_prefixes

        year = int(raw.get("year", 2006))
        groups = {k: int(v) for k, v in (raw.get("balance_by_group") or {}).items()}
        unknown = set(groups) - {"CIS", "non_CIS"}
        if unknown:
            raise ValueError(f"balance_by_group: unknown group(s) {sorted(unknown)}")
        net = sum(groups.values()) if len(groups) == 2 else None
        arr, dep = raw.get("arrivals"), raw.get("departures")
        if arr is None and dep is None:
            arr, dep = max(net or 0, 0), max(-(net or 0), 0)
        elif arr is None:
            arr = int(dep) + (net or 0)
        elif dep is None:
            dep = int(arr) - (net or 0)
        arr, dep = int(arr), int(dep)
        if net is not None and arr - dep != net:
            raise ValueError(f"arrivals - departures = {arr - dep} but the groups sum to {net}")
        if len(groups) < 2:
            cis = groups.get("CIS", round((arr - dep) * 0.8))
            groups = {"CIS": cis, "non_CIS": groups.get("non_CIS", arr - dep - cis)}
            if "non_CIS" in (raw.get("balance_by_group") or {}):
                groups["CIS"] = arr - dep - groups["non_CIS"]
        names = region_prefixes()
        named: dict[str, int] = {}
        for name, v in (raw.get("internal_balance_by_region") or {}).items():
            if name not in names:
                raise ValueError(f"internal_balance_by_region: no region named {name!r}")
            named[names[name]] = int(v)
        kandas = {k: _count(raw, k) for k in ("kandas_quota", "kandas_admissions")}
        return cls(year, arr, dep, groups, _fill_regions(named, list(names.values())), **kandas)


def _count(raw: dict[str, Any], key: str) -> int | None:
    """An optional number of persons: absent is None, negative is an error naming the key."""
    if raw.get(key) is None:
        return None
    value = int(raw[key])
    if value < 0:
        raise ValueError(f"{key}: {value} is negative; a number of persons is 0 or more")
    return value


def _fill_regions(named: dict[str, int], prefixes: list[str]) -> dict[str, int]:
    """Regions not named share -(sum of named) as evenly as integers allow."""
    rest = [p for p in prefixes if p not in named]
    total = -sum(named.values())
    if not rest and total:
        raise ValueError(f"every region is named but internal balances sum to {-total}, not 0")
    out = dict(named)
    for i, p in enumerate(rest):
        share = total // len(rest) + (1 if i < total % len(rest) else 0)
        out[p] = share
    return out


@dataclass(frozen=True, slots=True)
class Entry:
    record_type: str
    day: date
    pid: int | None
    fields: dict[str, str] = field(default_factory=dict)


def _days(rng: random.Random, year: int, n: int) -> list[date]:
    start = date(year, 1, 1)
    span = (date(year + 1, 1, 1) - start).days
    return sorted(start + timedelta(days=rng.randrange(span)) for _ in range(n))


@dataclass
class YearPlan:
    targets: Targets
    seed: int
    feeds: dict[str, list[Entry]]
    #: the bureau's truth: (region, YYYY-MM, ARR|DEP, CIS|NONCIS) -> persons
    bureau: Counter[tuple[str, str, str, str]]
    dropped: int = 0
    quarantined: int = 0

    @classmethod
    def build(
        cls,
        targets: Targets,
        seed: int = 2006,
        drop_arrivals: int = 0,
        quarantine_arrivals: int = 0,
    ) -> YearPlan:
        rng = random.Random(seed)
        gen = Generator(GeneratorConfig(seed=seed, population=POPULATION))
        pools = _pools(gen, targets.year)
        interior = _flows(targets, rng, pools)
        labour = _moves(targets, rng, pools, [e.pid for e in interior if e.pid is not None])
        bureau: Counter[tuple[str, str, str, str]] = Counter()
        for e in interior:
            arr = e.fields["Status"] == "ISSUED"
            group = "CIS" if e.fields["group"] == "CIS" else "NONCIS"
            bureau[(e.fields["region"], f"{e.day:%Y-%m}", "ARR" if arr else "DEP", group)] += 1
        issued = [i for i, e in enumerate(interior) if e.fields["Status"] == "ISSUED"]
        drop = set(issued[:drop_arrivals])
        held = set(issued[drop_arrivals : drop_arrivals + quarantine_arrivals])
        interior = [
            Entry(e.record_type, e.day, e.pid, {**e.fields, QUARANTINE: "1"}) if i in held else e
            for i, e in enumerate(interior)
            if i not in drop
        ]
        labour += _kandas(targets, rng, pools)
        counted = len(interior) + len(labour)
        feeds = {"interior": interior, "labour": labour}
        _add_noise(feeds, rng, pools, targets.year, counted)
        for entries in feeds.values():
            entries.sort(key=lambda e: e.day)
        return cls(targets, seed, feeds, bureau, len(drop), len(held))

    def counts(self) -> dict[str, int]:
        return {feed: len(entries) for feed, entries in self.feeds.items()}


def _pools(gen: Generator, year: int) -> dict[str, list[int]]:
    """Adult foreign citizens of the population, by citizenship."""
    pools: dict[str, list[int]] = {}
    for pid in range(POPULATION):
        p = gen.person(pid)
        if p.citizenship != "KAZ" and p.birth.year <= year - ADULT_AGE:
            pools.setdefault(p.citizenship, []).append(pid)
    return pools


def _pick_person(rng: random.Random, pools: dict[str, list[int]], group: str) -> tuple[int, str]:
    countries = [c for c in pools if (c in ref.CIS_STATES) == (group == "CIS")]
    weights = [ref.CITIZENSHIP_WEIGHTS.get(c, 1) for c in countries]
    country = rng.choices(countries, weights=weights)[0]
    return rng.choice(pools[country]), country


def _region(rng: random.Random) -> str:
    regions = list(ref.KATO_WEIGHTS)
    return rng.choices(regions, weights=[ref.KATO_WEIGHTS[r] for r in regions])[0]


def _flows(t: Targets, rng: random.Random, pools: dict[str, list[int]]) -> list[Entry]:
    """Residence permits: arrivals and departures split by group to hit the group balances."""
    c, n = t.balance_by_group["CIS"], t.balance_by_group["non_CIS"]
    lo, hi = max(0, -c), t.departures - max(0, -n)
    if lo > hi:
        raise ValueError("departures too few for the negative group balances")
    dep_cis = min(max(round(t.departures * CIS_DEPARTURE_SHARE), lo), hi)
    plan = [
        ("ISSUED", "CIS", c + dep_cis),
        ("ISSUED", "non-CIS", n + t.departures - dep_cis),
        ("REVOKED", "CIS", dep_cis),
        ("REVOKED", "non-CIS", t.departures - dep_cis),
    ]
    out = []
    for status, group, count in plan:
        for day in _days(rng, t.year, count):
            pid, country = _pick_person(rng, pools, group)
            region = _region(rng)
            fields = {
                "Kind": "PERMANENT",
                "Status": status,
                "region": region,
                "group": group,
                "country": country,
            }
            out.append(Entry("ResidencePermit", day, pid, fields))
    return out


def _moves(
    t: Targets, rng: random.Random, pools: dict[str, list[int]], known: list[int]
) -> list[Entry]:
    """Resettlements between regions whose net per region is the target balance."""
    outs = [[p, -b] for p, b in t.internal_balance_by_region.items() if b < 0]
    ins = [[p, b] for p, b in t.internal_balance_by_region.items() if b > 0]
    pairs: list[tuple[str, str]] = []
    for src in outs:
        for dst in ins:
            k = min(src[1], dst[1])
            pairs += [(src[0], dst[0])] * k
            src[1] -= k
            dst[1] -= k
    out = []
    for (src, dst), day in zip(pairs, _days(rng, t.year, len(pairs)), strict=True):
        # Half the movers are people who arrived this year: one person seen by two agencies.
        if known and rng.random() < 0.5:
            pid = rng.choice(known)
        else:
            pid, _ = _pick_person(rng, pools, rng.choice(("CIS", "non-CIS")))
        out.append(Entry("KandasResettlement", day, pid, {"from": src, "to": dst}))
    rng.shuffle(out)
    return out


def _add_noise(
    feeds: dict[str, list[Entry]],
    rng: random.Random,
    pools: dict[str, list[int]],
    year: int,
    counted: int,
) -> None:
    per_type = max(1, round(counted * NOISE_PER_RECORD / len(NOISE_TYPES)))
    for feed, record_type in NOISE_TYPES:
        for day in _days(rng, year, per_type):
            pid = None
            if record_type != "LabourQuota":
                pid, _ = _pick_person(rng, pools, rng.choice(("CIS", "non-CIS")))
            fields = {"Kind": "TEMPORARY", "Status": "ISSUED", "region": _region(rng)}
            if record_type == "KandasAdmission":  # decisions that use none of the year's quota
                status, quota_year = rng.choice(
                    (("REFUSED", year), ("WAITLISTED", year), ("ADMITTED", year - 1))
                )
                fields |= {"Status": status, "quota_year": str(quota_year)}
                fields["country"] = rng.choice(KANDAS_ORIGINS)
            feeds[feed].append(Entry(record_type, day, pid, fields))


def _split(rng: random.Random, total: int) -> Counter[str]:
    """``total`` persons over the regions, by the regions' weights; sums to ``total`` exactly."""
    regions = list(ref.KATO_WEIGHTS)
    weights = [ref.KATO_WEIGHTS[r] for r in regions]
    return Counter(rng.choices(regions, weights=weights, k=total))


def _kandas(t: Targets, rng: random.Random, pools: dict[str, list[int]]) -> list[Entry]:
    """The year's kandas quota decisions (one revised) and the admissions against them."""
    quota = _split(rng, t.kandas_quota or 0)
    out: list[Entry] = []
    decided, revised = date(t.year - 1, 12, 20), date(t.year, 6, 1)
    for i, (region, persons) in enumerate(sorted(quota.items())):
        fields = {"region": region, "persons": str(persons), "quota_year": str(t.year)}
        if i == 0:  # first decided higher, revised in June: the revision is the quota
            first = {**fields, "persons": str(persons + KANDAS_REVISED_BY)}
            out += [Entry("KandasQuota", decided, None, first)]
            out += [Entry("KandasQuota", revised, None, fields)]
        else:
            out.append(Entry("KandasQuota", decided, None, fields))
    if quota:  # next year's quota, decided this December: not this year's
        nxt = {"region": min(quota), "persons": "1", "quota_year": str(t.year + 1)}
        out.append(Entry("KandasQuota", date(t.year, 12, 15), None, nxt))
    left = Counter(quota)
    for day in _days(rng, t.year, t.kandas_admissions or 0):
        open_ = sorted(r for r in left if left[r] > 0)
        region = rng.choices(open_, weights=[left[r] for r in open_])[0] if open_ else _region(rng)
        left[region] -= 1
        pid, _ = _pick_person(rng, pools, rng.choice(("CIS", "non-CIS")))
        fields = {"Status": "ADMITTED", "region": region, "quota_year": str(t.year)}
        fields["country"] = rng.choice(KANDAS_ORIGINS)
        out.append(Entry("KandasAdmission", day, pid, fields))
    return out
