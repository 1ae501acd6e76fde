"""The verify step: a CIS partner's record must carry a valid XMLDSig by its pinned CA.

Only partner sources are checked (interior, labour and statistics records come
over mutual TLS and carry no signature, so checking them would cost time and
prove nothing). A verified record flows on as the *signed payload* only, so no
unsigned part of a document (signature wrapping) reaches normalisation; any
problem the security package reports becomes a finding on the record, which
goes to quarantine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from hub.model.findings import Finding
from hub.model.records import Quarantined, ValidRecord
from security.trust import TrustStore
from security.verifier import check_partner_document


def verify_records(
    records: Iterable[ValidRecord], *, partner: str, trust: TrustStore
) -> Iterator[ValidRecord | Quarantined]:
    """Each record verified against ``partner``'s pinned CA, in order."""
    for record in records:
        outcome = check_partner_document(record.element, partner=partner, trust=trust)
        if outcome.document is None:
            raw = record.raw
            findings = tuple(
                Finding.from_problem(
                    p, source=raw.source, record_id=raw.record_id, raw_digest=raw.digest
                )
                for p in outcome.problems
            )
            yield Quarantined(raw, findings, "verify")
            continue
        record.element = outcome.document.element
        record.verified_by = outcome.document.signer
        yield record
