"""Findings: what is wrong with one record, as data.

A finding is a frozen value, serialisable to the DLQ as JSON. It names the rule
(a stable id agencies can look up), the XPath of the field, the source and the
source record id, and the digest of the raw document the record came from, so
an operator can always show the bytes an agency sent.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    rule: str
    message: str
    xpath: str = ""
    source: str = ""
    record_id: str = ""
    raw_digest: str = ""
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)

    def __str__(self) -> str:
        where = f" at {self.xpath}" if self.xpath else ""
        line = f" (line {self.line})" if self.line else ""
        rec = f" [{self.source}/{self.record_id}]" if self.record_id else ""
        return f"{self.rule}{where}{line}: {self.message}{rec}"
