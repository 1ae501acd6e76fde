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
        └── IdentityRace       another registry writer bound an identifier first

``connectors`` and ``security`` stand on their own with their own errors
(``connectors.errors``, ``security.errors``). Where hub code calls them it wraps
the call in :func:`map_errors`, the one place that turns their errors into the
hub's (``raise ... from exc``: the original stays as ``__cause__``):

    connectors                      hub
    ConnectorConfigError         -> ConfigError
    SourceUnavailable            -> SourceUnavailable   (source, page kept)
    SourceRejected               -> SourceRejected      (source, page kept)
    MalformedDocument            -> DocumentError       (rule kept)
    security
    SecurityConfigError (+ Key)  -> ConfigError
    HostileXmlError              -> HostileXmlError     (rule kept)
    TrustError (+ subclasses)    -> TrustError          (rule, partner, batch_id, position)
    any other of theirs          -> HubError
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import connectors.errors as ce
import security.errors as se


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

    def __init__(
        self, message: str, *, rule: str, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message, rule=rule)
        self.line = line
        self.column = column


class SchemaNotFound(DocumentError):
    """The document's namespace or version has no schema in the catalog."""


class TrustError(HubError):
    """A signature, certificate, proof or chain cannot be trusted; ``rule`` names which check."""

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        partner: str | None = None,
        batch_id: str | None = None,
        position: int | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.partner = partner
        self.batch_id = batch_id
        self.position = position


class BrokerError(HubError):
    """Kafka cannot be reached, or refused or aborted a request or a transaction.

    The hub's Kafka seam raises it, translating each client library's errors in one place
    (``hub.kafka.errors``) with the library's error kept as ``__cause__``. The fields say
    what a caller may do: ``retriable`` (the same request may succeed shortly: a leader or
    coordinator moving, a timeout), ``fatal`` (this client is unusable: fenced by a newer
    instance of its transactional id; open a new one), ``topic`` (the topic concerned, when
    one is), ``code`` and ``name`` (the library's: Kafka's protocol code and name such as 16
    ``NOT_COORDINATOR``, or a librdkafka-local one such as -185 ``_TIMED_OUT``).
    """

    def __init__(
        self,
        message: str,
        *,
        fatal: bool = False,
        retriable: bool = False,
        topic: str | None = None,
        code: int | None = None,
        name: str = "",
    ) -> None:
        super().__init__(message)
        self.fatal = fatal
        self.retriable = retriable
        self.topic = topic
        self.code = code
        self.name = name


class StateError(HubError):
    """Stored positions or indexes are inconsistent."""


class IdentityRace(StateError):
    """Another stage 1 bound one of these identifiers to another person first.

    The registry write that found it was rolled back; the page must be resolved
    again (then it meets the other writer's person), never published as it was.
    """

    def __init__(self, idents: list[str]) -> None:
        super().__init__(f"identifiers bound by another writer first: {', '.join(idents)}")
        self.idents = idents


def hub_error(exc: ce.ConnectorError | se.SecurityError) -> HubError:
    """The hub error for a connector or security error (see the table above)."""
    if isinstance(exc, se.TrustError):
        return TrustError(str(exc), rule=exc.rule, partner=exc.partner,
                          batch_id=exc.batch_id, position=exc.position)
    if isinstance(exc, se.HostileXmlError):
        return HostileXmlError(str(exc), rule=exc.rule, line=getattr(exc, "line", None),
                               column=getattr(exc, "column", None))
    if isinstance(exc, ce.SourceUnavailable):
        return SourceUnavailable(exc.detail, source=exc.source, page=exc.page)
    if isinstance(exc, ce.SourceRejected):
        return SourceRejected(exc.detail, source=exc.source, page=exc.page)
    if isinstance(exc, ce.MalformedDocument):
        return DocumentError(str(exc), rule=exc.rule)
    if isinstance(exc, ce.ConnectorConfigError | se.SecurityConfigError):
        return ConfigError(str(exc))
    return HubError(f"{type(exc).__name__}: {exc}")


@contextlib.contextmanager
def map_errors() -> Iterator[None]:
    """Turn connector and security errors raised inside the block into hub errors.

    ``with map_errors(): doc = parse_untrusted(data)`` lets the hub catch only its
    own hierarchy; the original error is kept as ``__cause__`` with its traceback.
    """
    try:
        yield
    except (ce.ConnectorError, se.SecurityError) as exc:
        raise hub_error(exc) from exc
