"""What the consumer hands to an agency: typed, verified, frozen values.

``EventConsumer.stream()`` yields one of four kinds of item; ``events()`` yields
only :class:`HubEvent`, having applied corroborations and identity merges to the
consumer's state on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree


@dataclass(frozen=True, slots=True)
class Corroboration:
    """Another agency reported a fact the hub already published as ``event_id``."""

    event_id: str
    source: str
    record_id: str
    version: int = 1
    raw_digest: str = ""
    person_id: str = ""


@dataclass(frozen=True, slots=True)
class IdentityMerge:
    """Person ids found to be one person: ``absorbed`` ids now mean ``survivor``."""

    survivor: str
    absorbed: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class HubEvent:
    """One verified hub event. Only verified bytes are parsed into ``body``.

    ``person_id`` is the canonical id after identity merges known to this
    consumer; ``reported_person_id`` is the id the event was published with.
    ``body`` is the agency record inside the verified envelope ``element``.
    ``verified`` says how it was proven: ``signature`` (per-event XMLDSig) or
    ``batch:<batch-id>`` (inclusion proof against a signed batch manifest).
    """

    event_id: str
    type: str
    family: str
    version: int
    person_id: str
    occurred_at: str
    source: str
    body: etree._Element = field(compare=False, repr=False)
    #: the whole verified ``Event`` element (envelope, person block, body)
    element: etree._Element = field(compare=False, repr=False)
    raw_xml: bytes = field(compare=False, repr=False)
    verified: str
    reported_person_id: str = ""
    citizenships: tuple[str, ...] = ()
    topic: str = ""
    partition: int = -1
    offset: int = -1
    corroborations: tuple[Corroboration, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record (event, corroboration or identity notice) that failed verification; never
    handed over or applied."""

    reason: str
    rule: str
    raw_xml: bytes = field(repr=False)
    event_id: str = ""
    topic: str = ""
    partition: int = -1
    offset: int = -1


StreamItem = HubEvent | Rejected | Corroboration | IdentityMerge
