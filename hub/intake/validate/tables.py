"""Code lists the rules check against, shipped as CSV in ``schemas/data/``.

Kept as data, not code, so that a change of the lists (a new KATO region, a
state leaving the CIS) is a reviewed data change. Lines starting with ``#``
are comments.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hub.contract import DATA_DIR


def _rows(name: str) -> list[dict[str, str]]:
    path: Path = DATA_DIR / name
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


@dataclass(frozen=True, slots=True)
class KatoRegion:
    prefix: str
    code: str
    kind: str
    name_en: str
    name_ru: str
    name_kk: str


@cache
def iso_countries() -> dict[str, str]:
    """ISO 3166-1 alpha-3 -> English short name."""
    return {r["alpha3"]: r["name"] for r in _rows("iso3166_alpha3.csv")}


@cache
def icao_nationality_codes() -> dict[str, str]:
    """ICAO 9303 codes for stateless persons and refugees (XXA, XXB, XXC, XXX)."""
    return {r["alpha3"]: r["name"] for r in _rows("icao_nationality_codes.csv")}


@cache
def cis_members() -> dict[str, str]:
    """alpha-3 -> status (member / associate)."""
    return {r["alpha3"]: r["status"] for r in _rows("cis_members.csv")}


def is_cis(alpha3: str) -> bool:
    return alpha3 in cis_members()


@cache
def kato_regions() -> dict[str, KatoRegion]:
    """2-digit KATO prefix -> region."""
    return {r["prefix"]: KatoRegion(**r) for r in _rows("kato_regions.csv")}


def kato_region(code: str) -> KatoRegion | None:
    return kato_regions().get(code[:2])
