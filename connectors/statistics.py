"""The statistics bureau: SDMX 2.1 REST data queries, SDMX-ML data messages.

``GET {endpoint}/data/{flow}/{key}?startPeriod=&updatedAfter=`` with the
``Accept`` media type of the wanted message (structure-specific by default,
generic on request). The reply is parsed as a stream (:func:`connectors.sdmx.parse_sdmx`)
and each observation becomes one ``urn:kz:mhub:statistics:1`` ``Observation``
record (the contract in ``schemas/statistics/v1``), so memory stays at a page.
Every message shape is read alike: time series or cross-sectional (observations
by region, the year on the series), so a record's ``Period`` is the real period
and its id carries the full key (the observation-level dimension included). An
SDMX error message in a reply raises :class:`connectors.sdmx.SdmxErrorMessage`
with the bureau's code and text.

Incremental: the first query starts at ``start_period``; once a whole message
is read, the cursor moves to the message's ``Prepared`` time and later queries
ask ``updatedAfter`` it (new periods and revisions only). A message larger than
a page is read across polls; a restart re-queries and skips the observations
already committed (``skip``), and the cursor then moves to the ``Prepared`` of
the scan's *first* reply, so anything published during the scan is asked for
again rather than missed.

Window (backfill): the query asks ``startPeriod`` / ``endPeriod`` for the months
that close inside the window (:func:`connectors.base.monthly_periods`).

Position::

    {"start_period": "2020-01" | null, "updated_after": "<UTC>" | null,
     "skip": 0, "scan_prepared": "<UTC>" | null}
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from connectors.base import Page, Position, RawRecord, Window, monthly_periods
from connectors.errors import SourceUnavailable
from connectors.http import HttpSourceConnector, HttpTransport, TransportConfig
from connectors.sdmx import Observation, SdmxStream, parse_sdmx

STATISTICS_NS = "urn:kz:mhub:statistics:1"
MEDIA_TYPES = {
    "generic": "application/vnd.sdmx.genericdata+xml;version=2.1",
    "structurespecific": "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
}
# Observations per page: each record is ~400 bytes, so a page is ~400 KB.
DEFAULT_PAGE_SIZE = 1_000
# Times a broken-off message is re-queried within one poll before giving up.
MAX_RESUMES = 3


@dataclass(frozen=True, slots=True)
class ObservationMapping:
    """How a flow's SDMX codes map onto the hub's Observation record."""

    dataflow: str = "KZSTAT:DF_MIGRATION(1.0)"
    dimensions: tuple[str, ...] = ("FREQ", "REF_AREA", "INDICATOR", "FLOW_GROUP")
    region_dim: str = "REF_AREA"
    flow_dim: str = "INDICATOR"
    group_dim: str = "FLOW_GROUP"
    flow_codes: Mapping[str, str] = field(
        default_factory=lambda: {"ARR": "ARRIVAL", "DEP": "DEPARTURE", "NET": "SALDO"}
    )
    group_codes: Mapping[str, str] = field(
        default_factory=lambda: {"CIS": "CIS", "NONCIS": "NON_CIS", "_T": "TOTAL"}
    )
    #: OBS_STATUS -> record version: a provisional figure is version 1, its revision 2
    status_versions: Mapping[str, int] = field(
        default_factory=lambda: {"P": 1, "E": 1, "F": 1, "A": 2}
    )

    def kato(self, code: str) -> str:
        return code + "0000000" if len(code) == 2 else code

    def record_id(self, obs: Observation) -> str:
        """``STAT-{full key}-{period}``: distinct for every observation of a message."""
        rid = f"STAT-{obs.key_string.replace('.', '-')}-{obs.period}"
        return "".join(c if c.isalnum() or c in "._:-" else "_" for c in rid)[:64]

    def to_xml(self, obs: Observation, updated_at: str) -> bytes:
        dims = obs.dimensions
        group = self.group_codes.get(dims.get(self.group_dim, ""), "")
        version = self.status_versions.get(obs.attributes.get("OBS_STATUS", ""), 1)
        return (
            f'<Observation xmlns="{STATISTICS_NS}" recordId="{self.record_id(obs)}" '
            f'version="{version}" updatedAt="{updated_at}">'
            f"<Dataflow>{escape(self.dataflow)}</Dataflow>"
            f"<SeriesKey>{escape(obs.key_string)}</SeriesKey>"
            f"<Kato>{escape(self.kato(dims.get(self.region_dim, '')))}</Kato>"
            f"<Period>{escape(obs.period)}</Period>"
            f"<Flow>{escape(self.flow_codes.get(dims.get(self.flow_dim, ''), ''))}</Flow>"
            f"<PartnerGroup>{escape(group)}</PartnerGroup>"
            f"<Value>{escape(obs.value or '')}</Value></Observation>"
        ).encode()


def _utc(prepared: str) -> str:
    """SDMX ``Prepared`` (any offset, maybe none) as a UTC ``...Z`` timestamp."""
    ts = datetime.fromisoformat(prepared.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Cursor:
    """An open message being read across polls (an optimisation; the position rules)."""

    params: tuple[tuple[str, Any], ...]
    emitted: int
    stream: SdmxStream
    close: contextlib.ExitStack


class StatisticsConnector(HttpSourceConnector):
    family = "statistics"

    def __init__(
        self,
        source: str,
        endpoint: str,
        *,
        flow: str = "DF_MIGRATION",
        key: str = "all",
        start_period: str | None = None,
        message_format: str = "structurespecific",
        mapping: ObservationMapping | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        transport: TransportConfig | None = None,
        window: Window | None = None,
    ) -> None:
        super().__init__(source)
        self.window = window
        self.periods = monthly_periods(window) if window is not None else None
        if message_format not in MEDIA_TYPES:
            raise ValueError(f"message_format must be one of {sorted(MEDIA_TYPES)}")
        self.endpoint = endpoint
        self.flow = flow
        self.key = key
        self.start_period = start_period
        self.message_format = message_format
        self.mapping = mapping or ObservationMapping()
        self.page_size = page_size
        self.transport_config = transport or TransportConfig()
        self._http: HttpTransport | None = None
        self._cursor: _Cursor | None = None
        self.queries = 0  # messages requested, for tests

    def stop(self) -> None:
        self._drop_cursor()
        super().stop()

    def _drop_cursor(self) -> None:
        if self._cursor is not None:
            self._cursor.close.close()
            self._cursor = None

    def poll(self, position: Position | None) -> Page:
        pos = dict(position or {})
        start_period = pos.get("start_period", self.start_period)
        updated_after = pos.get("updated_after")
        skip = int(pos.get("skip") or 0)
        scan_prepared = pos.get("scan_prepared")
        params: tuple[tuple[str, Any], ...] = (
            ("startPeriod", start_period),
            ("updatedAfter", updated_after),
        )
        if self.window is not None:
            if self.periods is None:  # no month closes inside the window
                return Page([], {**pos, "skip": 0, "scan_prepared": None}, exhausted=True)
            start_period = self.periods[0]
            params = (("startPeriod", start_period), ("endPeriod", self.periods[1]))
            params += (("updatedAfter", updated_after),)
        page_name = (
            f"/data/{self.flow}/{self.key}?"
            + "&".join(f"{k}={v}" for k, v in params)
            + f"&skip={skip}"
        )
        records: list[RawRecord] = []
        for attempt in range(MAX_RESUMES + 1):
            try:
                cursor = self._open(params, skip + len(records), page_name)
                if cursor is None:  # "No Results Found": nothing new
                    return Page(
                        [],
                        {**pos, "start_period": start_period, "skip": 0, "scan_prepared": None},
                        exhausted=True,
                    )
                updated_at = ""
                for obs in cursor.stream:
                    if not updated_at:  # the header has been read once the first Obs is out
                        header = cursor.stream.header.prepared
                        updated_at = _utc(header) if header else (scan_prepared or "")
                        scan_prepared = scan_prepared or updated_at or None
                    cursor.emitted += 1
                    records.append(
                        RawRecord(
                            self.source,
                            self.mapping.record_id(obs),
                            self.mapping.to_xml(obs, updated_at),
                            origin=f"{page_name}#{cursor.emitted - 1}",
                        )
                    )
                    if len(records) == self.page_size:
                        position = {"start_period": start_period, "updated_after": updated_after,
                                    "skip": skip + len(records), "scan_prepared": scan_prepared}
                        return Page(records, position, exhausted=False)
                break
            except SourceUnavailable:
                self._drop_cursor()
                if attempt == MAX_RESUMES:
                    raise
        self._drop_cursor()
        position = {"start_period": start_period, "updated_after": scan_prepared or updated_after,
                    "skip": 0, "scan_prepared": None}
        return Page(records, position, exhausted=True)

    def _open(
        self, params: tuple[tuple[str, Any], ...], skip: int, page_name: str
    ) -> _Cursor | None:
        c = self._cursor
        if c is not None and c.params == params and c.emitted == skip:
            return c
        self._drop_cursor()
        stack = contextlib.ExitStack()
        self.queries += 1
        resp = stack.enter_context(
            self.http.stream(
                "GET",
                f"/data/{self.flow}/{self.key}",
                page=page_name,
                params=dict(params),
                headers={"Accept": MEDIA_TYPES[self.message_format]},
                accept_status=frozenset({404}),
            )
        )
        if resp.status_code == 404:
            stack.close()
            return None
        stream = parse_sdmx(
            self.http.iter_body(resp, page=page_name), dimensions=self.mapping.dimensions
        )
        cursor = _Cursor(params, 0, stream, stack)
        self._cursor = cursor
        for _ in range(skip):
            if next(stream, None) is None:
                break
            cursor.emitted += 1
        return cursor
