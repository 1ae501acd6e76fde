"""The source contract every agency connector implements.

Shaped after Kafka Connect's ``SourceTask``: ``poll(position)`` returns one page
of raw records and the opaque position *after* that page. The connector never
stores its own position; the hub stores it in the same Kafka transaction as the
page's records (stage 1), so a crash before the commit replays the same page and
a crash after it never pulls the page again.

Positions are small JSON mappings that only the connector understands
(``{"updated_since": "...", "page_token": "..."}``, ``{"acked": [...]}``).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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


class SourceConnector(ABC):
    """A small class per agency family: poll pages, stay stateless between calls."""

    #: family name used in configuration and topic routing
    family: str = ""

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
        n = 0
        while max_pages is None or n < max_pages:
            page = self.poll(position)
            yield page
            n += 1
            position = page.position
            if page.exhausted:
                return
