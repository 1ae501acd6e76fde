"""The quarantine as operators and reports read it: every committed DLQ entry, with its findings.

Stage 1 writes one signed DLQ entry per rejected record (``hub.intake.commit``); this reads
the DLQ topic ``read_committed`` from the beginning to the end offsets taken first, without
a consumer group, so reading never moves anyone's position and never shows a record of an
aborted (crashed) intake transaction. ``mhub dlq`` lists and shows the entries, and the
statistics' reconciliation names what quarantine holds back (``hub.statistics.evidence``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.config import Settings
from hub.kafka.reading import read_to_end
from hub.kafka.topics import topics_for
from hub.model.notices import read_notice


@dataclass(frozen=True, slots=True)
class DlqEntry:
    partition: int
    offset: int
    timestamp_ms: int
    value: dict[str, Any]

    @property
    def rule(self) -> str:
        findings = self.value.get("findings") or [{}]
        return str(findings[0].get("rule", "?"))

    def line(self) -> str:
        when = datetime.fromtimestamp(self.timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        more = len(self.value.get("findings", [])) - 1
        extra = f" (+{more} more)" if more > 0 else ""
        return (
            f"{self.offset:>8}  {when}  {self.value.get('source', '?'):22} "
            f"{self.value.get('record_id', '?'):24} {self.value.get('stage', '?'):9} "
            f"{self.rule}{extra}"
        )


def read_dlq(settings: Settings) -> Iterator[DlqEntry]:
    """Every committed record of the DLQ topic, read to its end offsets."""
    for r in read_to_end(topics_for(settings).dlq, settings):
        yield DlqEntry(r.partition, r.offset, r.timestamp, read_notice(r.value))
