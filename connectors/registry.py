"""Build a connector from a source's configuration (``hub.sources.SourceConfig``).

Options per family (the ``options`` table of a ``[[source]]``; ``http_*`` keys
go to :class:`connectors.http.TransportConfig`, e.g. ``http_ca_bundle``,
``http_client_cert``, ``http_client_key``, ``http_read_timeout_s``):

- interior: none (endpoint is the agency's base URL)
- labour: ``drop_dir`` (file drop; the endpoint may be empty for files only),
  ``settle_s`` (a settled file that does not parse is damaged and handled at once)
- statistics: ``flow``, ``key``, ``start_period``, ``message_format``
- partner: ``state`` (ISO alpha-3 of the partner)

Unknown options are rejected, so a typo fails when the source is loaded.

A backfill run passes its :class:`connectors.base.Window` (``window=``, or the
source's ``window`` attribute); every family reads it (see each connector) and
the connector comes wrapped in :class:`connectors.base.WindowedConnector`.
"""

from __future__ import annotations

from typing import Any, Protocol

from connectors.base import SourceConnector, Window, WindowedConnector
from connectors.errors import ConnectorConfigError
from connectors.http import TransportConfig
from connectors.interior import InteriorConnector
from connectors.labour import LabourConnector
from connectors.partner import PartnerConnector
from connectors.statistics import StatisticsConnector

OPTIONS: dict[str, frozenset[str]] = {
    "interior": frozenset(),
    "labour": frozenset({"drop_dir", "settle_s"}),
    "statistics": frozenset({"flow", "key", "start_period", "message_format"}),
    "partner": frozenset({"state"}),
}


class SourceLike(Protocol):
    name: str
    family: str
    endpoint: str
    batch_size: int
    options: dict[str, Any]


def connector_for(
    source: SourceLike, settings: Any = None, *, window: Window | None = None
) -> SourceConnector:
    """The source's connector; with a window, one that reads only that window."""
    window = window if window is not None else getattr(source, "window", None)
    conn = _build(source, window)
    return conn if window is None else WindowedConnector(conn, window)


def _build(source: SourceLike, window: Window | None) -> SourceConnector:
    family = source.family
    if family not in OPTIONS:
        raise ConnectorConfigError(f"source {source.name}: no connector for family {family!r}")
    opts = dict(source.options or {})
    try:
        transport = TransportConfig.from_options(opts)
    except (TypeError, ValueError) as exc:
        raise ConnectorConfigError(f"source {source.name}: {exc}") from exc
    own = {k: v for k, v in opts.items() if not k.startswith("http_")}
    unknown = set(own) - OPTIONS[family]
    if unknown:
        raise ConnectorConfigError(f"source {source.name}: unknown options {sorted(unknown)}")
    size = source.batch_size
    if family == "interior":
        return InteriorConnector(
            source.name, source.endpoint, page_size=size, transport=transport, window=window
        )
    if family == "labour":
        drop = own.pop("drop_dir", None)
        return LabourConnector(
            source.name,
            source.endpoint or None,
            drop,
            page_size=size,
            transport=transport,
            window=window,
            **own,
        )
    if family == "statistics":
        return StatisticsConnector(
            source.name, source.endpoint, page_size=size, transport=transport, window=window, **own
        )
    if "state" not in own:
        raise ConnectorConfigError(f"source {source.name}: partner sources need options.state")
    return PartnerConnector(
        source.name,
        source.endpoint,
        state=own["state"],
        page_size=size,
        transport=transport,
        window=window,
    )
