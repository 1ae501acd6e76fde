"""Errors of the connectors package: it stands on its own and imports nothing of ``hub``.

    ConnectorError
    ├── ConnectorConfigError   a source's options are wrong (unknown option, bad value)
    ├── SourceError            a source cannot be read; names the source and the page
    │   ├── SourceUnavailable  down, timed out, 5xx after all retries
    │   └── SourceRejected     4xx or a refused answer: retrying will not help
    └── MalformedDocument      a page or file is not the XML it must be (rule xml.* / sdmx.*)

Context is keyword-only (``source``, ``page``, ``rule``). Third-party errors
(httpx, lxml) are translated where they are caught, with ``raise ... from exc``.
The hub turns these into its own errors in one place (``hub.errors.map_errors``).
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""


class ConnectorConfigError(ConnectorError):
    """A source's connector options are missing, unknown or of the wrong type."""


class SourceError(ConnectorError):
    """A source cannot be read; ``detail`` is the message without the source and page."""

    def __init__(self, message: str, *, source: str, page: str | None = None) -> None:
        super().__init__(f"{source}: {message}" + (f" (page {page})" if page else ""))
        self.detail = message
        self.source = source
        self.page = page


class SourceUnavailable(SourceError):
    """The source is down, timing out or answering 5xx after all retries."""


class SourceRejected(SourceError):
    """The source answered 4xx (or a fault): the request is wrong and retrying will not help."""


class MalformedDocument(ConnectorError):
    """A page or file is not well-formed, declares a DTD, or is not the format expected."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.rule = rule
