"""The source contract every agency connector implements.

Shaped after Kafka Connect's ``SourceTask``: ``poll(position)`` returns one page
of raw records and the opaque position *after* that page. The connector never
stores its own position; the hub stores it in the same Kafka transaction as the
page's records (stage 1), so a crash before the commit replays the same page and
a crash after it never pulls the page again.

Positions are small JSON mappings that only the connector understands
(``{"updated_since": "...", "page_token": "..."}``, ``{"acked": [...]}``).

A backfill run reads a time :class:`Window` instead of "everything after the
position": the left-open interval ``(start, end]``, i.e. what an incremental scan
from cursor ``start`` would have seen by ``end``; adjacent windows therefore
split a source's records exactly. Each family says what the time of a record is
(REST ``updatedAt``, SDMX the close of a period, file drop the file's mtime,
partner the message's ``sentAt``). A windowed connector is wrapped in
:class:`WindowedConnector`, whose positions keep the live position aside
(``resume``), so a backfill never moves the live cursor.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Position = Mapping[str, Any]


def raw_digest(body: bytes) -> str:
    """Content address of raw bytes as received: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record exactly as an agency sent it, before any parsing."""

    source: str
    record_id: str
    body: bytes
    # Where in the source document the record sat (page token, file name, message id).
    origin: str = ""
    digest: str = field(default="")

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", raw_digest(self.body))


@dataclass(frozen=True, slots=True)
class Page:
    """A page of raw records and the position to resume from after it."""

    records: list[RawRecord]
    position: dict[str, Any]
    # True when the source had nothing more at the time of the poll.
    exhausted: bool = False
    # Problems met that are not records (a damaged or unreadable file): reported by the
    # run at once, in its summary, so an operator never learns of them from silence.
    notices: tuple[str, ...] = ()


#: the key that marks a windowed (backfill) position; no connector's own position has it
BACKFILL_KEY = "backfill"
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def parse_utc(value: str | datetime) -> datetime:
    """An ISO 8601 instant with a zone (``Z`` or an offset), as an aware UTC datetime."""
    ts = (
        value
        if isinstance(value, datetime)
        else datetime.fromisoformat(value.replace("Z", "+00:00"))
    )
    if ts.tzinfo is None:
        raise ValueError(f"timestamp without time zone: {value!r}")
    return ts.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """A backfill run's interval ``(start, end]`` in UTC: after ``start``, up to ``end``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", parse_utc(self.start))
        object.__setattr__(self, "end", parse_utc(self.end))
        if not self.start < self.end:
            raise ValueError(f"window start {self.start} is not before its end {self.end}")

    @classmethod
    def parse(cls, start: str | datetime, end: str | datetime) -> Window:
        return cls(parse_utc(start), parse_utc(end))

    def contains(self, ts: datetime) -> bool:
        return self.start < parse_utc(ts) <= self.end

    @property
    def start_iso(self) -> str:
        return self.start.strftime(ISO_UTC)

    @property
    def end_iso(self) -> str:
        return self.end.strftime(ISO_UTC)

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start_iso, "end": self.end_iso}


def monthly_periods(window: Window) -> tuple[str, str] | None:
    """``(startPeriod, endPeriod)`` of the months that *close* inside the window.

    A month belongs to the window that contains its last instant (January closes
    at February 1st 00:00), so adjacent windows never share a month; ``None``
    when no month closes inside the window.
    """
    first = (window.start.year, window.start.month)  # its close is after start
    ey, em = window.end.year, window.end.month
    last = (ey, em - 1) if em > 1 else (ey - 1, 12)  # its close is at or before end
    if last < first:
        return None
    return f"{first[0]:04d}-{first[1]:02d}", f"{last[0]:04d}-{last[1]:02d}"


class SourceConnector(ABC):
    """A small class per agency family: poll pages, stay stateless between calls."""

    #: family name used in configuration and topic routing
    family: str = ""
    #: the backfill window this connector reads, or None for the live feed
    window: Window | None = None

    def __init__(self, source: str) -> None:
        self.source = source

    def start(self) -> None:  # noqa: B027 - optional hook
        """Open connections; called once before the first poll."""

    @abstractmethod
    def poll(self, position: Position | None) -> Page:
        """Return the next page after ``position`` (None: from the beginning)."""

    def commit(self, position: Position) -> None:  # noqa: B027 - optional hook
        """Called after ``position`` is durably stored with its records.

        Sources with ack semantics (SMEV-style Get/Ack) acknowledge here, never
        before the records are published.
        """

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def pages(self, position: Position | None, *, max_pages: int | None = None) -> Iterator[Page]:
        """Poll until the source is exhausted (or ``max_pages``), yielding each page."""
        if self.window is None and position and BACKFILL_KEY in position:
            # The last committed run was a backfill: the live feed resumes where it was.
            position = position.get("resume")
        n = 0
        while max_pages is None or n < max_pages:
            page = self.poll(position)
            yield page
            n += 1
            position = page.position
            if page.exhausted:
                return


class WindowedConnector(SourceConnector):
    """A connector built for a window, its positions kept apart from the live ones.

    Position: ``{"backfill": {"start", "end"}, "scan": <inner position>,
    "resume": <the live position the run started from>}``. A position of another
    window (or a live one) starts the scan from the window's beginning.
    """

    def __init__(self, inner: SourceConnector, window: Window) -> None:
        super().__init__(inner.source)
        self.inner = inner
        self.window = window
        self.family = inner.family

    def start(self) -> None:
        self.inner.start()

    def stop(self) -> None:
        self.inner.stop()

    def poll(self, position: Position | None) -> Page:
        pos = dict(position or {})
        if BACKFILL_KEY in pos:
            same = pos[BACKFILL_KEY] == self.window.to_dict()
            scan, resume = (pos.get("scan") if same else None), pos.get("resume")
        else:
            scan, resume = None, (pos or None)
        page = self.inner.poll(scan)
        wrapped = {BACKFILL_KEY: self.window.to_dict(), "scan": page.position, "resume": resume}
        return Page(page.records, wrapped, exhausted=page.exhausted)

    def commit(self, position: Position) -> None:
        self.inner.commit(position.get("scan") or {})
