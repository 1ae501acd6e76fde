"""What each event counts as in the migration statistics: the definitions.

One event gives at most one :class:`Fact`; the statistics are sums of facts.

* **International arrival for permanent residence**: a ``ResidencePermit``
  (interior ministry) of ``Kind`` PERMANENT with ``Status`` ISSUED. Region: the
  permit's ``Kato``; period: its ``DecisionDate``; country: the holder's
  citizenship (CIS / non-CIS by ``schemas/data/memberships.csv``). Temporary
  permits and extensions are not migration for permanent residence.
* **International departure for permanent residence**: a ``ResidencePermit`` of
  ``Kind`` PERMANENT with ``Status`` REVOKED: a permanent resident leaving the
  country surrenders the permit and the ministry records its revocation.
  Region, period and country as for arrivals. (Citizens emigrating carry no
  residence permit: the hub's records do not see them; the bureau's do.)
* **Internal migration**: a ``KandasResettlement`` (labour ministry) whose
  ``FromKato`` and ``ToKato`` lie in different regions: one person out of the
  first region and into the second, in the period of ``ArrivedOn``.
* **Saldo** (migration balance) = arrivals - departures; internal saldo of a
  region = moves in - moves out (sums to zero over the country).
* Work permits (``Action`` ISSUED) by region, sector, category and citizenship;
  quotas (``LabourQuota``: ``Allotted`` / ``Used`` per region, sector, category and
  year, from the latest decision taken by the end of the period, as kandas quotas);
  kandas admissions (``KandasAdmission`` by ``Status`` and ``QuotaYear``);
  asylum applications and refugee-status decisions (by ``Outcome``);
  deportations and entry bans (by citizenship).
* **Kandas admissions against the year's quota**, by region: the quota of a
  region for a year is the ``Persons`` of its latest ``KandasQuota`` decision
  (labour ministry) for that ``QuotaYear`` taken by the end of the period (a
  revision replaces the earlier decision; decisions of one day in one region add
  up). Set against it, one person each: the ``KandasAdmission`` records of
  ``Status`` ADMITTED with that ``QuotaYear`` whose ``DecisionDate`` lies in the
  period (region: their ``Kato``). Use % = admitted / quota. A quarter or month
  is set against its calendar year's quota, as work permits are.
* The bureau's own figures: ``Observation`` events (SDMX) of ``Flow`` ARRIVAL
  or DEPARTURE by region, period and partner group.

Each event counts once: a later version of the same event id replaces the
fact of the earlier one (it may stop counting, e.g. ISSUED corrected to
TEMPORARY).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.model.elements import local_name
from hub.model.families import EVENT_FAMILIES
from hub.model.record_types import FAMILY_OF
from hub.statistics.reference import region_of

ARRIVAL = "arrival"
DEPARTURE = "departure"
INTERNAL = "internal"
WORK_PERMIT = "work-permit"
QUOTA = "quota"
KANDAS = "kandas-admission"
KANDAS_QUOTA = "kandas-quota"
ASYLUM = "asylum-application"
REFUGEE = "refugee-decision"
DEPORTATION = "deportation"
ENTRY_BAN = "entry-ban"
BUREAU_ARRIVAL = "bureau-arrival"
BUREAU_DEPARTURE = "bureau-departure"
NOT_COUNTED = ""


@dataclass(frozen=True, slots=True)
class Fact:
    """One event's contribution. ``day`` is ISO (YYYY-MM-DD); empty fields do not apply."""

    kind: str
    day: str = ""
    region: str = ""  # KATO prefix
    region_to: str = ""  # internal moves: destination region
    country: str = ""  # citizenship / origin (ISO alpha-3)
    group: str = ""  # bureau observations: CIS | non-CIS
    sector: str = ""
    category: str = ""
    status: str = ""
    quota_year: str = ""
    value: int = 1  # persons; quotas: allotted (labour) or persons (kandas)
    used: int = 0  # quotas: used


def fields_of(body: Any) -> dict[str, str]:
    """Leaf elements of a record body by local name (the first of each)."""
    out: dict[str, str] = {}
    for el in body.iter():
        name = local_name(el.tag)
        if name and len(el) == 0 and el.text and name not in out:
            out[name] = el.text.strip()
    return out


def _day(value: str) -> str:
    return value[:10]


def _permit(f: dict[str, str], country: str) -> Fact:
    if f.get("Kind") != "PERMANENT" or f.get("Status") not in ("ISSUED", "REVOKED"):
        return Fact(NOT_COUNTED)
    kind = ARRIVAL if f["Status"] == "ISSUED" else DEPARTURE
    return Fact(kind, _day(f.get("DecisionDate", "")), region_of(f.get("Kato", "")), "", country)


def _resettlement(f: dict[str, str], country: str) -> Fact:
    src, dst = region_of(f.get("FromKato", "")), region_of(f.get("ToKato", ""))
    if not src or not dst or src == dst:
        return Fact(NOT_COUNTED)
    return Fact(INTERNAL, _day(f.get("ArrivedOn", "")), src, dst, country)


def _work_permit(f: dict[str, str], country: str) -> Fact:
    if f.get("Action") != "ISSUED":
        return Fact(NOT_COUNTED)
    return Fact(
        WORK_PERMIT,
        _day(f.get("DecisionDate", "")),
        region_of(f.get("Kato", "")),
        country=country,
        sector=f.get("Sector", ""),
        category=f.get("Category", ""),
    )


def _quota(f: dict[str, str], _country: str) -> Fact:
    """Dated by its decision (as the kandas quota): a revision replaces the decision before."""
    year = f.get("Year", "")
    return Fact(
        QUOTA,
        _day(f.get("DecisionDate", "")) or (f"{year}-01-01" if year else ""),
        region_of(f.get("Kato", "")),
        sector=f.get("Sector", ""),
        category=f.get("Category", ""),
        quota_year=year,
        value=int(f.get("Allotted", "0") or 0),
        used=int(f.get("Used", "0") or 0),
    )


def _kandas(f: dict[str, str], _country: str) -> Fact:
    return Fact(
        KANDAS,
        _day(f.get("DecisionDate", "")),
        region_of(f.get("Kato", "")),
        country=f.get("CountryOfOrigin", ""),
        status=f.get("Status", ""),
        quota_year=f.get("QuotaYear", ""),
    )


def _kandas_quota(f: dict[str, str], _country: str) -> Fact:
    """Dated by its decision, not its year: a revision is told from the decision it replaces."""
    return Fact(
        KANDAS_QUOTA,
        _day(f.get("DecisionDate", "")),
        region_of(f.get("Kato", "")),
        quota_year=f.get("QuotaYear", ""),
        value=int(f.get("Persons", "0") or 0),
    )


def _asylum(f: dict[str, str], country: str) -> Fact:
    origin = f.get("CountryOfOrigin", "") or country
    return Fact(ASYLUM, _day(f.get("LodgedOn", "")), region_of(f.get("Kato", "")), country=origin)


def _refugee(f: dict[str, str], country: str) -> Fact:
    return Fact(
        REFUGEE, _day(f.get("DecisionDate", "")), country=country, status=f.get("Outcome", "")
    )


def _deportation(f: dict[str, str], country: str) -> Fact:
    dest = f.get("DestinationCountry", "") or country
    return Fact(DEPORTATION, _day(f.get("ExecutedAt", "")), country=dest)


def _ban(f: dict[str, str], country: str) -> Fact:
    return Fact(
        ENTRY_BAN, _day(f.get("ValidFrom", "") or f.get("DecisionDate", "")), country=country
    )


def _observation(f: dict[str, str], _country: str) -> Fact:
    flow = {"ARRIVAL": BUREAU_ARRIVAL, "DEPARTURE": BUREAU_DEPARTURE}.get(f.get("Flow", ""))
    group = {"CIS": "CIS", "NON_CIS": "non-CIS"}.get(f.get("PartnerGroup", ""))
    period = f.get("Period", "")
    if flow is None or group is None or len(period) < 7:
        return Fact(NOT_COUNTED)  # saldo and totals are derived, never summed twice
    try:
        value = round(float(f.get("Value", "")))
    except ValueError:
        return Fact(NOT_COUNTED)
    return Fact(flow, period[:7] + "-01", region_of(f.get("Kato", "")), group=group, value=value)


_BY_RECORD: dict[str, Callable[[dict[str, str], str], Fact]] = {
    "ResidencePermit": _permit,
    "KandasResettlement": _resettlement,
    "WorkPermit": _work_permit,
    "LabourQuota": _quota,
    "KandasAdmission": _kandas,
    "KandasQuota": _kandas_quota,
    "AsylumApplication": _asylum,
    "RefugeeStatusDecision": _refugee,
    "Deportation": _deportation,
    "PartnerDeportationNotice": _deportation,
    "EntryBan": _ban,
    "PartnerEntryBanNotice": _ban,
    "Observation": _observation,
}

#: the event families whose events the statistics read: those of the record types counted
#: above (the reports' Kafka principal reads these, infra/production/kafka/acls.sh)
FAMILIES: tuple[str, ...] = tuple(
    f for f in EVENT_FAMILIES if f in {FAMILY_OF[record_type] for record_type in _BY_RECORD}
)


def fact_of(body: Any, citizenships: tuple[str, ...] = ()) -> Fact:
    """The fact one verified event body counts as (``NOT_COUNTED`` if none)."""
    handler = _BY_RECORD.get(local_name(body.tag))
    if handler is None:
        return Fact(NOT_COUNTED)
    f = fields_of(body)
    country = citizenships[0] if citizenships else f.get("Citizenship", "")
    return handler(f, country)
