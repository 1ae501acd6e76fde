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
"""

from __future__ import annotations

from typing import Any, Protocol

from connectors.base import SourceConnector
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


def connector_for(source: SourceLike, settings: Any = None) -> SourceConnector:
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
        return InteriorConnector(source.name, source.endpoint, page_size=size, transport=transport)
    if family == "labour":
        drop = own.pop("drop_dir", None)
        return LabourConnector(
            source.name, source.endpoint or None, drop, page_size=size, transport=transport, **own
        )
    if family == "statistics":
        return StatisticsConnector(
            source.name, source.endpoint, page_size=size, transport=transport, **own
        )
    if "state" not in own:
        raise ConnectorConfigError(f"source {source.name}: partner sources need options.state")
    return PartnerConnector(
        source.name, source.endpoint, state=own["state"], page_size=size, transport=transport
    )
