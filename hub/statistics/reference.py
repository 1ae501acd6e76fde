"""Region names and the CIS split for the statistics, from the contract's code lists.

Thin views over ``hub.model.codelists`` (``schemas/data/*.csv``), so the
statistics name regions exactly as the validation rules know them.
"""

from __future__ import annotations

from functools import cache

from hub.model.codelists import is_cis, iso_countries, kato_regions


@cache
def region_names() -> dict[str, str]:
    """KATO prefix (two digits) -> English region name (``name_en``), in KATO order."""
    return {prefix: r.name_en for prefix, r in kato_regions().items()}


@cache
def region_prefixes() -> dict[str, str]:
    """English region name -> KATO prefix."""
    return {name: prefix for prefix, name in region_names().items()}


def region_of(kato: str) -> str:
    """The region prefix of a KATO code, or "" when it names no region."""
    prefix = (kato or "").strip()[:2]
    return prefix if prefix in region_names() else ""


def region_name(prefix: str) -> str:
    return region_names().get(prefix, prefix or "unknown region")


def country_name(alpha3: str) -> str:
    return iso_countries().get(alpha3, alpha3 or "unknown")


def group_of(country: str) -> str:
    """``CIS`` or ``non-CIS`` for a citizenship; "" when unknown."""
    if not country:
        return ""
    return "CIS" if is_cis(country) else "non-CIS"
