"""A generated year with known totals: person-level records that add up to targets.

``YearPlan.build(targets)`` decides every record of the year (which person,
which region, which day) so that the hub's statistics definitions
(``hub.ops.statistics.definitions``) give exactly the targets:

* arrivals: PERMANENT residence permits ISSUED (interior feed);
* departures: PERMANENT residence permits REVOKED (interior feed);
* balance by group: arrivals minus departures of CIS / non-CIS citizens;
* internal balance by region: kandas resettlements between regions (labour
  feed); regions the targets do not name share the balance that makes the
  country's internal migration sum to zero.

Around them come records that must not move those totals: temporary permits,
work permits, quotas, kandas admissions, asylum, deportations, entry bans.
``YearGenerator`` serves the plan through the ordinary agency simulator;
``YearStatistics`` is the bureau's SDMX view of the same truth, optionally with
records an agency never sent (``drop_arrivals``) so the figures disagree.
"""

from __future__ import annotations

import random
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.agencies import reference as ref
from infra.agencies.generator import VALID, Generator, GeneratorConfig, Rates, Truth
from infra.agencies.statistics import Obs as SdmxObs
from infra.agencies.statistics import SeriesKey, matches

# Share of departures that are CIS citizens when the targets leave it open.
CIS_DEPARTURE_SHARE = 0.7
# Records that must not count, per counted record (noise the definitions must ignore).
NOISE_PER_RECORD = 0.25
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
}


@dataclass(frozen=True)
class Targets:
    year: int
    arrivals: int
    departures: int
    balance_by_group: dict[str, int]  # CIS / non_CIS
    internal_balance_by_region: dict[str, int]  # KATO prefix -> balance (all regions)

    @classmethod
    def load(cls, path: Path) -> Targets:
        return cls.from_mapping(tomllib.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> Targets:
        from hub.ops.statistics.reference import region_prefixes

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
        return cls(year, arr, dep, groups, _fill_regions(named, list(names.values())))


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

    @classmethod
    def build(cls, targets: Targets, seed: int = 2006, drop_arrivals: int = 0) -> YearPlan:
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
        drop = [i for i, e in enumerate(interior) if e.fields["Status"] == "ISSUED"][:drop_arrivals]
        interior = [e for i, e in enumerate(interior) if i not in set(drop)]
        counted = len(interior) + len(labour)
        feeds = {"interior": interior, "labour": labour}
        _add_noise(feeds, rng, pools, targets.year, counted)
        for entries in feeds.values():
            entries.sort(key=lambda e: e.day)
        return cls(targets, seed, feeds, bureau, len(drop))

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
            feeds[feed].append(Entry(record_type, day, pid, fields))


class YearGenerator(Generator):
    """The plan's records, served by the ordinary simulator: all valid, one per entry."""

    def __init__(self, plan: YearPlan) -> None:
        rates = Rates(duplicate=0.0, correction=0.0, invalid=0.0, hostile=0.0)
        # The year's records were entered by its close: updatedAt in the next January.
        epoch = datetime(plan.targets.year + 1, 1, 2, tzinfo=UTC)
        super().__init__(
            GeneratorConfig(seed=plan.seed, population=POPULATION, rates=rates, epoch=epoch)
        )
        self.plan = plan

    def entry(self, feed: str, index: int) -> Entry:
        return self.plan.feeds[self.family(feed)][index]

    def kind(self, feed: str, index: int) -> tuple[str, str | None]:
        return VALID, None

    def _record_type(self, feed: str, index: int) -> tuple[str, str]:
        root = self.entry(feed, index).record_type
        return root, CODES[root]

    def _person_for_fact(self, fact_id: str) -> int:
        feed, index = fact_id.rsplit(":", 1)
        pid = self.entry(feed, int(index)).pid
        return 0 if pid is None else pid

    def _fact_time(self, t: Truth, fr: random.Random) -> datetime:
        day = self.entry(t.feed, t.index).day
        return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)

    def _render(self, t: Truth) -> str:
        custom = _CUSTOM.get(t.record_type)
        if custom is None:
            return super()._render(t)
        family = self.family(t.feed)
        from infra.agencies.generator import NS

        rr = self._entry_rng(t.feed, t.index, "render")
        e = self.entry(t.feed, t.index)
        person = (
            "" if t.person_id is None else self._person_xml(t, self.person(t.person_id), family, rr)
        )
        return (
            f'<{t.record_type} xmlns="{NS[family]}" xmlns:c="{NS["common"]}" '
            f'recordId="{t.record_id}" version="{t.version}" updatedAt="{t.updated_at}">'
            f"{person}{custom(e, t.index, self.plan.targets.year)}</{t.record_type}>"
        )


def _permit_body(e: Entry, index: int, year: int) -> str:
    start = e.day + timedelta(days=1)
    return (
        f"<PermitNumber>ВНЖ-{year}-{index:06d}</PermitNumber><Kind>{e.fields['Kind']}</Kind>"
        f"<Status>{e.fields['Status']}</Status><DecisionDate>{e.day}</DecisionDate>"
        f"<ValidFrom>{start}</ValidFrom><ValidTo>{start + timedelta(days=3 * 365)}</ValidTo>"
        f"<Kato>{ref.kato_code(e.fields['region'])}</Kato>"
    )


def _resettlement_body(e: Entry, index: int, year: int) -> str:
    return (
        f"<CertificateNumber>KC-{year}-{index:06d}</CertificateNumber>"
        f"<ProgrammeYear>{year}</ProgrammeYear>"
        f"<FromKato>{ref.kato_code(e.fields['from'])}</FromKato>"
        f"<ToKato>{ref.kato_code(e.fields['to'])}</ToKato>"
        f"<ArrivedOn>{e.day}</ArrivedOn><FamilyMembers>0</FamilyMembers>"
    )


def _quota_body(e: Entry, index: int, year: int) -> str:
    r = random.Random(index)
    allotted = r.randrange(10, 500)
    return (
        f"<Kato>{ref.kato_code(e.fields['region'])}</Kato><Sector>{r.choice(ref.SECTORS)}</Sector>"
        f"<Category>{r.choice(ref.WORKER_CATEGORIES)}</Category><Year>{year}</Year>"
        f"<Allotted>{allotted}</Allotted><Used>{r.randrange(allotted + 1)}</Used>"
        f"<DecisionDate>{e.day}</DecisionDate>"
    )


_CUSTOM = {
    "ResidencePermit": _permit_body,
    "KandasResettlement": _resettlement_body,
    "LabourQuota": _quota_body,
}


class YearStatistics:
    """The bureau's SDMX dataflow for the plan's year (same interface as MigrationStatistics)."""

    def __init__(self, plan: YearPlan) -> None:
        self.plan = plan
        self.published_at = datetime(plan.targets.year + 1, 2, 15, 4, tzinfo=UTC)

    def prepared(self) -> datetime:
        return self.published_at

    def _series(self) -> dict[SeriesKey, list[SdmxObs]]:
        out: dict[SeriesKey, list[SdmxObs]] = {}
        b = self.plan.bureau
        cells = sorted({(r, m, g) for r, m, _ind, g in b})
        for region, month, group in cells:
            arr, dep = b[(region, month, "ARR", group)], b[(region, month, "DEP", group)]
            for ind, value in (("ARR", arr), ("DEP", dep), ("NET", arr - dep)):
                key = SeriesKey("M", region, ind, group)
                out.setdefault(key, []).append(SdmxObs(month, value, "A", self.published_at))
        return out

    def query(
        self,
        key: str = "all",
        *,
        start_period: str | None = None,
        end_period: str | None = None,
        updated_after: datetime | None = None,
    ) -> Any:
        for sk, obs in self._series().items():
            if not matches(sk, key):
                continue
            keep = [
                o
                for o in obs
                if (not start_period or o.period >= start_period[:7])
                and (not end_period or o.period[: len(end_period)] <= end_period)
                and (updated_after is None or o.updated > updated_after)
            ]
            if keep:
                yield sk, keep
