"""The hub's one exception hierarchy, and where the packages' errors become it.

Exceptions mean "this stage cannot continue" (the broker is unreachable, a key cannot
be opened, configuration is wrong). Problems *with a record* are not exceptions: they
are :class:`hub.model.findings.Finding` values that travel with the record to
quarantine, so one bad record never stops its neighbours.

    HubError
    ├── ConfigError            configuration missing, unknown key, bad value
    ├── DocumentError          a document cannot be used at all (rule)
    │   ├── HostileXmlError    DTD, entities, too large, too deep, bad encoding (rule, line, column)
    │   └── SchemaNotFound     namespace/version not in the catalog
    ├── TrustError             a signature, certificate, proof or chain cannot be trusted
    │                          (rule, partner, batch_id, position)
    ├── BrokerError            Kafka cannot be reached or refused a transaction
    ├── StateError             stored positions/indexes are inconsistent
    │   ├── IdentityRace       another registry writer bound an identifier first
    │   └── IncompleteRead     a topic could not be read to its end (hub.kafka.reading)
    ├── EventKeyError          a record lacks a field its event key needs (hub.intake.identity
    │                          .event_key; the stage turns it into a Finding)
    └── AirflowApiError        the Airflow api-server refused or did not answer (hub.airflow.api)

``connectors`` and ``security`` stand alone with their own hierarchies
(``connectors.errors``, ``security.errors``); no class name is defined in two of the
three. Their errors are met only at the edges of the hub that call them, and each edge
either handles them where it calls (a finding, a SOAP fault, an exit code, a rejected
record) or re-raises them as the hub's with :func:`map_errors` (``raise ... from exc``:
the original stays as ``__cause__``), so that above the edge only this hierarchy is met:

    edge (calls)                                 their error -> what the edge makes of it
    hub.intake.validate.validator (safe_xml)     UnsafeXmlError -> Finding xml.* (quarantined)
    hub.intake.verify (verifier)                 (SignatureProblem values) -> Finding sig.*
    hub.model.notices (verifier, safe_xml)       VerificationError, UnsafeXmlError -> TrustError
    hub.keys (pki, trust; for the stages and     SecurityConfigError -> ConfigError
      the CLI)
    hub.deliver.gateway (keys, safe_xml)         a request the parser refuses -> SOAP fault
                                                 MalformedRequest (its key at start: hub.cli)
    hub.deliver.consumer, the agencies'          VerificationError -> TrustError, UnsafeXmlError
      library (verifier, batch_verifier)         -> HostileXmlError; each -> a Rejected record
    hub.cli, every command (security,            a check that fails -> "FAIL rule" and exit 1;
      connectors)                                anything else -> one line (hub.cli.describe)
    hub.intake.stage, stage 1 (connectors)       not translated: SourceUnavailable,
                                                 SourceRejected, MalformedDocument end the
                                                 extract task as they are (name and message
                                                 are the run's reason); Airflow retries it

:func:`hub_error` is the translation table:

    connectors                      hub
    ConnectorConfigError         -> ConfigError
    MalformedDocument            -> DocumentError       (rule kept)
    security
    SecurityConfigError (+ Key)  -> ConfigError
    UnsafeXmlError               -> HostileXmlError     (rule, line, column kept)
    VerificationError (+ subs)   -> TrustError          (rule, partner, batch_id, position)
    any other of theirs          -> HubError            ("<their class>: <message>")
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
    if isinstance(exc, se.VerificationError):
        return TrustError(str(exc), rule=exc.rule, partner=exc.partner,
                          batch_id=exc.batch_id, position=exc.position)
    if isinstance(exc, se.UnsafeXmlError):
        return HostileXmlError(str(exc), rule=exc.rule, line=getattr(exc, "line", None),
                               column=getattr(exc, "column", None))
    if isinstance(exc, ce.MalformedDocument):
        return DocumentError(str(exc), rule=exc.rule)
    if isinstance(exc, ce.ConnectorConfigError | se.SecurityConfigError):
        return ConfigError(str(exc))
    return HubError(f"{type(exc).__name__}: {exc}")


@contextlib.contextmanager
def map_errors() -> Iterator[None]:
    """Turn connector and security errors raised inside the block into hub errors.

    For an edge that lets them go on up (``@map_errors()`` on the consumer library's
    ``verify``): its callers then catch only the hub's hierarchy; the original error is
    kept as ``__cause__`` with its traceback.
    """
    try:
        yield
    except (ce.ConnectorError, se.SecurityError) as exc:
        raise hub_error(exc) from exc
