"""The verify step: a CIS partner's record must carry a valid XMLDSig by its pinned CA.

Only partner sources are checked (interior, labour and statistics records come
over mutual TLS and carry no signature, so checking them would cost time and
prove nothing). A verified record flows on as the *signed payload* only, so no
unsigned part of a document (signature wrapping) reaches normalisation; any
failure becomes a finding and the record goes to quarantine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from hub.errors import HostileXmlError, TrustError
from hub.model.findings import Finding
from hub.model.records import Quarantined, ValidRecord
from security.trust import TrustStore
from security.verifier import verify_partner_document

SIGNATURE_XPATH = "/*/ds:Signature"


def verify_records(
    records: Iterable[ValidRecord], *, partner: str, trust: TrustStore
) -> Iterator[ValidRecord | Quarantined]:
    """Each record verified against ``partner``'s pinned CA, in order."""
    for record in records:
        try:
            signed = verify_partner_document(record.element, partner=partner, trust=trust)
        except (TrustError, HostileXmlError) as exc:
            yield Quarantined(record.raw, (_finding(record, exc.rule, str(exc)),), "verify")
            continue
        record.element = signed.element
        record.verified_by = signed.signer
        yield record


def _finding(record: ValidRecord, rule: str, message: str) -> Finding:
    raw = record.raw
    return Finding(
        rule=rule,
        message=message,
        xpath=SIGNATURE_XPATH,
        source=raw.source,
        record_id=raw.record_id,
        raw_digest=raw.digest,
    )
