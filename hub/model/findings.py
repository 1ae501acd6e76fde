"""Findings: what is wrong with one record, as data.

A finding is a frozen value, serialisable to the DLQ as JSON. It names the rule
(a stable id agencies can look up), the XPath of the field, the source and the
source record id, and the digest of the raw document the record came from, so
an operator can always show the bytes an agency sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from security.verifier import SignatureProblem


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    rule: str
    message: str
    xpath: str = ""
    source: str = ""
    record_id: str = ""
    raw_digest: str = ""
    line: int | None = None
    #: column of ``line`` where the parser stopped (parse failures only)
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)

    @classmethod
    def from_problem(
        cls, problem: SignatureProblem, *, source: str, record_id: str, raw_digest: str
    ) -> Finding:
        """The finding for a signature problem reported by ``security`` (which knows no
        sources or records), placed on the record it was found in."""
        return cls(rule=problem.rule, message=problem.message, xpath=problem.xpath,
                   source=source, record_id=record_id, raw_digest=raw_digest)

    def __str__(self) -> str:
        where = f" at {self.xpath}" if self.xpath else ""
        line = f" (line {self.line}{_column(self.column)})" if self.line else ""
        rec = f" [{self.source}/{self.record_id}]" if self.record_id else ""
        return f"{self.rule}{where}{line}: {self.message}{rec}"


def _column(column: int | None) -> str:
    return f", column {column}" if column else ""
