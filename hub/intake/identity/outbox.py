"""The registry's merges a source wrote and no committed intake transaction carried yet.

``commit_page`` sends :meth:`RegistryOutbox.unpublished` after the registry's
flush, inside the page's transaction, and calls :meth:`RegistryOutbox.published`
after the commit. One stage-1 process writes for a source (its transactional
id fences any other), so "this source's unpublished merges" is exactly what its
last committed transaction carried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.intake.identity.registry import PersonRegistry


@dataclass
class RegistryOutbox:
    registry: PersonRegistry

    def unpublished(self) -> list[dict[str, Any]]:
        """Merge notices (the identity topic's JSON), oldest first."""
        return [
            {"kind": "merge", "survivor": survivor, "absorbed": absorbed,
             "evidence": json.loads(evidence)}
            for _seq, survivor, absorbed, evidence in self.registry.store.unpublished_merges(
                self.registry.source
            )
        ]

    def published(self) -> None:
        self.registry.store.mark_merges_published(self.registry.source)
