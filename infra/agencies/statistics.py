"""The statistics bureau's migration flows, served as SDMX-ML 2.1 data messages.

Dataflow ``KZSTAT:DF_MIGRATION(1.0)``: monthly arrivals (ARR), departures (DEP)
and saldo (NET = ARR - DEP) per KATO region, CIS and non-CIS flows apart.
Period ``k`` (0 = 2020-01) is published on the 15th of the following month as
provisional (``OBS_STATUS=P``) and revised ``REVISION_LAG`` publications later
(``OBS_STATUS=A``, a slightly different value), so ``updatedAfter`` queries
return new periods and revisions, as a statistics office's do.

Messages are written as a stream of text chunks in either SDMX 2.1 format
(generic or structure-specific), series by series, never held whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import quoteattr

from infra.agencies.reference import KATO_REGIONS

AGENCY = "KZSTAT"
FLOW = "DF_MIGRATION"
DSD = "DSD_MIGRATION"
DIMENSIONS = ("FREQ", "REF_AREA", "INDICATOR", "FLOW_GROUP")
TIME_DIMENSION = "TIME_PERIOD"
INDICATORS = ("ARR", "DEP", "NET")
FLOW_GROUPS = ("CIS", "NONCIS")
FIRST_YEAR = 2020
# A provisional figure is revised this many publications later (quarterly review).
REVISION_LAG = 3

NS_MESSAGE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
NS_COMMON = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
NS_GENERIC = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
NS_SS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_DSD = (
    "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure="
    f"{AGENCY}:{DSD}(1.0):ObsLevelDim:{TIME_DIMENSION}"
)

GENERIC = "generic"
STRUCTURE_SPECIFIC = "structurespecific"
MEDIA_TYPES = {
    GENERIC: "application/vnd.sdmx.genericdata+xml;version=2.1",
    STRUCTURE_SPECIFIC: "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
}


def period_label(k: int) -> str:
    return f"{FIRST_YEAR + k // 12}-{k % 12 + 1:02d}"


def period_index(label: str, *, end: bool = False) -> int:
    """Index of a ``YYYY-MM`` or ``YYYY`` period (a year starts at January, ends at December)."""
    if len(label) == 4:
        return (int(label) - FIRST_YEAR) * 12 + (11 if end else 0)
    year, month = label[:7].split("-")
    return (int(year) - FIRST_YEAR) * 12 + int(month) - 1


def publication_time(k: int) -> datetime:
    """Period k is published on the 15th of the next month at 04:00 UTC."""
    m = k + 1
    return datetime(FIRST_YEAR + m // 12, m % 12 + 1, 15, 4, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SeriesKey:
    freq: str
    region: str
    indicator: str
    flow_group: str

    @property
    def values(self) -> tuple[str, str, str, str]:
        return (self.freq, self.region, self.indicator, self.flow_group)

    def dotted(self) -> str:
        return ".".join(self.values)


def all_series() -> list[SeriesKey]:
    return [
        SeriesKey("M", region, ind, grp)
        for region in KATO_REGIONS
        for ind in INDICATORS
        for grp in FLOW_GROUPS
    ]


def matches(key: SeriesKey, query: str) -> bool:
    """SDMX REST key filter: ``all``, or dot-separated positions with ``+`` alternatives."""
    if query in ("", "all"):
        return True
    parts = query.split(".")
    if len(parts) != len(DIMENSIONS):
        raise ValueError(f"key {query!r} must have {len(DIMENSIONS)} positions")
    return all(not p or v in p.split("+") for v, p in zip(key.values, parts, strict=True))


@dataclass(frozen=True, slots=True)
class Obs:
    period: str
    value: int
    status: str
    updated: datetime


class MigrationStatistics:
    """Deterministic figures for the dataflow, as published up to a point in time."""

    def __init__(self, seed: int = 0, published: int = 24) -> None:
        self.seed = seed
        self.published = published  # periods published so far (the simulator's clock)

    def _base(self, region: str, grp: str, k: int, ind: str) -> int:
        h = hashlib.blake2b(f"{self.seed}|{region}|{grp}|{k}|{ind}".encode(), digest_size=4)
        scale = 900 if region in {"71", "75", "79"} else 150
        scale = scale if grp == "CIS" else scale // 3
        return scale + int.from_bytes(h.digest(), "big") % scale

    def _flow(self, region: str, grp: str, k: int, ind: str, final: bool) -> int:
        v = self._base(region, grp, k, ind)
        return v + (v // 40 + 1 if final else 0)  # revisions raise provisional counts a little

    def observation(self, key: SeriesKey, k: int) -> Obs:
        final = self.published > k + REVISION_LAG
        if key.indicator == "NET":
            value = self._flow(key.region, key.flow_group, k, "ARR", final) - self._flow(
                key.region, key.flow_group, k, "DEP", final
            )
        else:
            value = self._flow(key.region, key.flow_group, k, key.indicator, final)
        updated = publication_time(k + REVISION_LAG if final else k)
        return Obs(period_label(k), value, "A" if final else "P", updated)

    def prepared(self) -> datetime:
        return publication_time(max(0, self.published - 1))

    def query(
        self,
        key: str = "all",
        *,
        start_period: str | None = None,
        end_period: str | None = None,
        updated_after: datetime | None = None,
    ) -> Iterator[tuple[SeriesKey, list[Obs]]]:
        first = period_index(start_period) if start_period else 0
        last = self.published - 1
        if end_period:
            last = min(last, period_index(end_period, end=True))
        for sk in all_series():
            if not matches(sk, key):
                continue
            obs = [self.observation(sk, k) for k in range(max(0, first), last + 1)]
            if updated_after is not None:
                obs = [o for o in obs if o.updated > updated_after]
            if obs:
                yield sk, obs


def _header(prepared: datetime, fmt: str) -> str:
    ns_attr = f' namespace="{NS_DSD}"' if fmt == STRUCTURE_SPECIFIC else ""
    return (
        "<message:Header>"
        f"<message:ID>KZSTAT-{prepared:%Y%m%d%H%M%S}</message:ID>"
        "<message:Test>false</message:Test>"
        f"<message:Prepared>{prepared:%Y-%m-%dT%H:%M:%S}Z</message:Prepared>"
        f'<message:Sender id="{AGENCY}"/>'
        f'<message:Structure structureID="{DSD}" '
        f'dimensionAtObservation="{TIME_DIMENSION}"{ns_attr}>'
        f'<common:Structure><Ref agencyID="{AGENCY}" id="{DSD}" version="1.0"/></common:Structure>'
        "</message:Structure></message:Header>"
    )


SERIES_ATTRIBUTES = (("UNIT_MEASURE", "PS"), ("UNIT_MULT", "0"), ("DECIMALS", "0"))


def write_message(
    series: Iterator[tuple[SeriesKey, list[Obs]]], prepared: datetime, fmt: str
) -> Iterator[str]:
    """Chunks of one SDMX-ML 2.1 data message, one chunk per series."""
    if fmt == GENERIC:
        yield (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<message:GenericData xmlns:message="{NS_MESSAGE}" xmlns:common="{NS_COMMON}" '
            f'xmlns:generic="{NS_GENERIC}">'
        )
        yield _header(prepared, fmt)
        yield f'<message:DataSet structureRef="{DSD}" action="Replace">'
        for sk, obs in series:
            parts = ["<generic:Series><generic:SeriesKey>"]
            parts += [
                f'<generic:Value id="{d}" value="{v}"/>'
                for d, v in zip(DIMENSIONS, sk.values, strict=True)
            ]
            parts.append("</generic:SeriesKey><generic:Attributes>")
            parts += [f'<generic:Value id="{a}" value="{v}"/>' for a, v in SERIES_ATTRIBUTES]
            parts.append("</generic:Attributes>")
            for o in obs:
                parts.append(
                    f'<generic:Obs><generic:ObsDimension value="{o.period}"/>'
                    f'<generic:ObsValue value="{o.value}"/><generic:Attributes>'
                    f'<generic:Value id="OBS_STATUS" value="{o.status}"/>'
                    "</generic:Attributes></generic:Obs>"
                )
            parts.append("</generic:Series>")
            yield "".join(parts)
        yield "</message:DataSet></message:GenericData>"
        return
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<message:StructureSpecificData xmlns:message="{NS_MESSAGE}" xmlns:common="{NS_COMMON}" '
        f'xmlns:data="{NS_SS}" xmlns:xsi="{NS_XSI}" xmlns:ns1="{NS_DSD}">'
    )
    yield _header(prepared, fmt)
    yield (
        f'<message:DataSet data:structureRef="{DSD}" data:action="Replace" '
        'data:dataScope="DataStructure" xsi:type="ns1:DataSetType">'
    )
    for sk, obs in series:
        attrs = " ".join(
            f"{d}={quoteattr(v)}"
            for d, v in [*zip(DIMENSIONS, sk.values, strict=True), *SERIES_ATTRIBUTES]
        )
        parts = [f"<Series {attrs}>"]
        parts += [
            f'<Obs TIME_PERIOD="{o.period}" OBS_VALUE="{o.value}" OBS_STATUS="{o.status}"/>'
            for o in obs
        ]
        parts.append("</Series>")
        yield "".join(parts)
    yield "</message:DataSet></message:StructureSpecificData>"
