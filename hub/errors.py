"""The hub's one exception hierarchy.

Exceptions mean "this stage cannot continue" (a source is down, the broker is
unreachable, configuration is wrong). Problems *with a record* are not
exceptions: they are :class:`hub.model.findings.Finding` values that travel with the
record to quarantine, so one bad record never stops its neighbours.

    HubError
    ├── ConfigError            configuration missing, unknown key, bad value
    ├── SourceError            an agency source cannot be read
    │   ├── SourceUnavailable  down, timed out, 5xx after all retries
    │   └── SourceRejected     4xx: our request is wrong, retrying will not help
    ├── DocumentError          a document cannot be used at all
    │   ├── HostileXmlError    DTD, entities, too large, too deep, bad encoding
    │   └── SchemaNotFound     namespace/version not in the catalog
    ├── TrustError             a signature or certificate cannot be trusted
    ├── BrokerError            Kafka cannot be reached or refused a transaction
    └── StateError             stored positions/indexes are inconsistent
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ConfigError(HubError):
    """Configuration is missing or invalid."""


class SourceError(HubError):
    """An agency source cannot be read; names the source and the page."""

    def __init__(self, message: str, *, source: str, page: str | None = None) -> None:
        super().__init__(f"{source}: {message}" + (f" (page {page})" if page else ""))
        self.source = source
        self.page = page


class SourceUnavailable(SourceError):
    """The source is down, timing out or answering 5xx after all retries."""


class SourceRejected(SourceError):
    """The source answered 4xx: the request is wrong and retrying will not help."""


class DocumentError(HubError):
    """A document cannot be used at all (as opposed to a record-level finding)."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


class HostileXmlError(DocumentError):
    """Refused by the hardened parser: DTD, entity, size, depth or encoding."""


class SchemaNotFound(DocumentError):
    """The document's namespace or version has no schema in the catalog."""


class TrustError(HubError):
    """A signature, certificate or chain cannot be trusted."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


class BrokerError(HubError):
    """Kafka cannot be reached, or refused or aborted a transaction."""


class StateError(HubError):
    """Stored positions or indexes are inconsistent."""
