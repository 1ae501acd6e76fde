"""The validate stage: XSD by namespace (local catalog, compiled once) plus business rules.

The first step of stage 1: the schemas come from ``schemas`` (``catalog``), the code
lists from its ``data/`` (``tables``). A record that fails leaves with its findings for
the DLQ; a valid one goes on to verify and normalise (``hub.intake``).

Public API (other stages call these):

- :func:`validate_record` ``(body: bytes, *, source, record_id, raw_digest) -> ValidationResult``
- :func:`validate_stream` ``(records: Iterable[RawRecord])``
  ``-> Iterator[tuple[RawRecord, ValidationResult]]``
- :func:`validate_records` ``(root) -> list[ValidationResult]``: every record of a parsed
  document, found only where the connectors find them (:func:`split_records`)
- :func:`validate_element` for one parsed record
- :data:`RULES`: every rule id with its meaning
"""

from hub.intake.validate.rules import RULES, Rule
from hub.intake.validate.validator import (
    ValidationResult,
    element_path,
    split_records,
    validate_element,
    validate_record,
    validate_records,
    validate_stream,
)

__all__ = [
    "RULES",
    "Rule",
    "ValidationResult",
    "element_path",
    "split_records",
    "validate_element",
    "validate_record",
    "validate_records",
    "validate_stream",
]
