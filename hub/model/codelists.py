"""Code lists, as dated data shipped in ``schemas/data/``: countries, KATO regions, memberships.

Kept as data, not code, so that a change (a new KATO region, a state leaving the CIS) is a
reviewed data change naming its source. Every stage reads them through here: the validate
stage's rules, the statistics (a period is classified with the lists in force then) and the
stay rules of monitoring (a stay's days take the EAEU and CIS groups of their dates).

Dated rows hold ``valid_from`` (the first day in force) and ``valid_to`` (the last day in force,
empty while still in force); :func:`status_on` answers for one day. Lines starting with ``#``
are comments.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from pathlib import Path

from hub.contract import DATA_DIR

CIS = "CIS"
EAEU = "EAEU"
ORGANISATIONS = (CIS, EAEU)


def _rows(name: str) -> list[dict[str, str]]:
    path: Path = DATA_DIR / name
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


def today() -> date:
    """The day in Kazakhstan's calendar used when a caller names none (UTC is close enough for a
    list that changes on whole days announced months ahead)."""
    return datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class KatoRegion:
    prefix: str
    code: str
    kind: str
    name_en: str
    name_ru: str
    name_kk: str


@dataclass(frozen=True, slots=True)
class Membership:
    """One state's standing in an organisation over one period (a row of memberships.csv)."""

    organisation: str
    alpha3: str
    status: str
    valid_from: date
    valid_to: date | None
    certain: bool
    source: str
    note: str

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@cache
def iso_countries() -> dict[str, str]:
    """ISO 3166-1 alpha-3 -> English short name."""
    return {r["alpha3"]: r["name"] for r in _rows("iso3166_alpha3.csv")}


@cache
def icao_nationality_codes() -> dict[str, str]:
    """ICAO 9303 codes for stateless persons and refugees (XXA, XXB, XXC, XXX)."""
    return {r["alpha3"]: r["name"] for r in _rows("icao_nationality_codes.csv")}


@cache
def memberships() -> tuple[Membership, ...]:
    """Every dated membership row, as shipped."""
    out = []
    for r in _rows("memberships.csv"):
        if r["organisation"] not in ORGANISATIONS:
            raise ValueError(f"memberships.csv: unknown organisation {r['organisation']!r}")
        out.append(Membership(
            organisation=r["organisation"],
            alpha3=r["alpha3"],
            status=r["status"],
            valid_from=date.fromisoformat(r["valid_from"]),
            valid_to=date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
            certain=r["certain"] == "yes",
            source=r["source"],
            note=r["note"],
        ))
    return tuple(out)


def status_on(organisation: str, alpha3: str, day: date | None = None) -> str | None:
    """The state's status in the organisation on ``day`` (today when None), or None."""
    when = day or today()
    for m in memberships():
        if m.organisation == organisation and m.alpha3 == alpha3 and m.in_force(when):
            return m.status
    return None


# Distinct days asked for (a year of stays, a decade of statistics): a few thousand sets.
MEMBERS_ON_CACHE_DAYS = 8192


@lru_cache(maxsize=MEMBERS_ON_CACHE_DAYS)
def members_on(organisation: str, day: date) -> frozenset[str]:
    """Every state of the organisation on ``day``, whatever its status."""
    return frozenset(m.alpha3 for m in memberships()
                     if m.organisation == organisation and m.in_force(day))


def is_cis(alpha3: str, day: date | None = None) -> bool:
    """In the CIS group on ``day`` (member, associate or participant)."""
    return alpha3 in members_on(CIS, day or today())


def is_eaeu(alpha3: str, day: date | None = None) -> bool:
    return alpha3 in members_on(EAEU, day or today())


@cache
def kato_regions() -> dict[str, KatoRegion]:
    """2-digit KATO prefix -> region."""
    return {r["prefix"]: KatoRegion(**r) for r in _rows("kato_regions.csv")}


def kato_region(code: str) -> KatoRegion | None:
    return kato_regions().get(code[:2])
