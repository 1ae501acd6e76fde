"""One page of a source, in flow order: validate -> verify -> normalise.

Each record is parsed once (by validate) and handed on as its parsed element;
a record that fails a step becomes :class:`Quarantined` with its findings and
the page goes on without it. No Kafka, no files: :mod:`hub.intake.commit`
writes the outcome, :mod:`hub.intake.stage` drives pages through both.

:func:`check_page` (validate, verify) depends on the bytes alone, so it runs once
per page; :func:`normalise_page` depends on the person registry too, so a page whose
registry write lost an identity race is normalised again from the same checked page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from connectors.base import RawRecord
from hub.intake.normalise import Normaliser
from hub.intake.validate import validate_record
from hub.intake.verify import verify_records
from hub.model.candidate import Candidate
from hub.model.findings import Finding
from hub.model.record_types import FAMILY_OF
from hub.model.records import Quarantined, ValidRecord
from security.trust import TrustStore


@dataclass(frozen=True, slots=True)
class PartnerTrust:
    """What the verify step needs for a partner source: who, and whom to trust."""

    partner: str
    trust: TrustStore


@dataclass
class PageOutcome:
    """What one page became: candidates for intake, quarantined records, identity notices."""

    candidates: list[Candidate] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    identity: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CheckedPage:
    """A page after validate and verify: the records that passed, and those that did not."""

    valid: list[ValidRecord] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)


def process_page(
    records: Iterable[RawRecord], normaliser: Normaliser, partner: PartnerTrust | None = None
) -> PageOutcome:
    """The page's records through validate, verify (partner sources only) and normalise."""
    return normalise_page(check_page(records, partner), normaliser)


def check_page(records: Iterable[RawRecord], partner: PartnerTrust | None = None) -> CheckedPage:
    """Validate every record, then verify the partner's signatures (partner sources only)."""
    page = CheckedPage()
    valid = list(_keep_valid(validate(records), page.quarantined))
    if partner is not None:
        checked = verify_records(valid, partner=partner.partner, trust=partner.trust)
        valid = list(_keep_valid(checked, page.quarantined))
    page.valid = valid
    return page


def normalise_page(checked: CheckedPage, normaliser: Normaliser) -> PageOutcome:
    """The checked page's valid records resolved and keyed against the registry as it is now.

    Leaves ``checked`` as it was, so it can be normalised again after an identity race.
    """
    outcome = PageOutcome(quarantined=list(checked.quarantined))
    page = normaliser.normalise(checked.valid)
    for item in page.items:
        if isinstance(item, Candidate):
            outcome.candidates.append(item)
        else:
            outcome.quarantined.append(item)
    outcome.identity = page.identity
    return outcome


def _keep_valid(
    items: Iterable[ValidRecord | Quarantined], quarantined: list[Quarantined]
) -> Iterator[ValidRecord]:
    for item in items:
        if isinstance(item, Quarantined):
            quarantined.append(item)
        else:
            yield item


def validate(records: Iterable[RawRecord]) -> Iterator[ValidRecord | Quarantined]:
    """XSD and business rules; every failure becomes findings, never an exception."""
    for raw in records:
        result = validate_record(
            raw.body, source=raw.source, record_id=raw.record_id, raw_digest=raw.digest
        )
        if not result.ok or result.element is None:
            yield Quarantined(raw, tuple(result.findings), "validate")
        elif result.record_type not in FAMILY_OF:
            yield Quarantined(raw, (_unroutable(raw, result.record_type),), "validate")
        else:
            yield ValidRecord(
                raw,
                result.element,
                result.record_type,
                result.namespace,
                result.version,
                result.family,
            )


def _unroutable(raw: RawRecord, record_type: str) -> Finding:
    return Finding(
        rule="route.unknown-record-type",
        message=f"no event family for record type {record_type}",
        xpath="/*",
        source=raw.source,
        record_id=raw.record_id,
        raw_digest=raw.digest,
    )
