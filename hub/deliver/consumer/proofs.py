"""Proving a hub event authentic before anything reads it.

An event is proven either by its own enveloped XMLDSig (low volume) or by its
Merkle inclusion proof against the signed manifest of its batch (volume), both
checked by the ``security`` package against the hub's trust store. Manifests
come from the batches topic: each is checked when fetched (a manifest that
does not verify is never stored), kept as received in the consumer's SQLite
state by batch id, and parsed manifests are kept in a small LRU. A failure is
a :class:`hub.errors.TrustError` naming the rule (``sig.*``, ``proof.*``, ...).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lxml import etree

from hub.config import Settings
from hub.deliver.consumer.envelope import proof_batch_id, proof_element, signature_element
from hub.deliver.consumer.state import MANIFEST_CACHE_SIZE, ConsumerState
from hub.errors import TrustError, map_errors
from hub.kafka.readers import PartitionReader
from hub.lru import LruCache
from security.errors import UnsafeXmlError, VerificationError
from security.safe_xml import parse_untrusted
from security.trust import TrustStore
from security.verifier import verify_hub_document

# Manifests are committed in the same transaction as their events, so by the time
# an event is visible its manifest is too; this bounds the wait for a lagging read.
MANIFEST_FETCH_TIMEOUT_S = 30.0
MANIFEST_POLL_S = 0.5


def load_trust(trust: TrustStore | Path) -> TrustStore:
    """A trust store, or the directory ``mhub keys`` wrote it to (``var/pki/trust``)."""
    if isinstance(trust, TrustStore):
        return trust
    with map_errors():
        return TrustStore.load(trust)


class ManifestSource:
    """Signed batch manifests by batch id: memory LRU, then SQLite, then the batches topic."""

    def __init__(self, settings: Settings, topic: str, state: ConsumerState, batches: Any) -> None:
        self.settings = settings
        self.topic = topic
        self.state = state
        self._batches = batches  # security.batch.BatchVerifier
        self._cache = LruCache(MANIFEST_CACHE_SIZE)
        self._reader: PartitionReader | None = None

    def get(self, batch_id: str) -> etree._Element:
        cached = self._cache.get(batch_id)
        if cached is not None:
            return cached  # type: ignore[return-value]
        stored = self.state.manifest(batch_id)
        if stored is None:
            self._fetch_until(batch_id)
            stored = self.state.manifest(batch_id)
        if stored is None:
            raise TrustError(f"no signed manifest for batch {batch_id}", rule="batch.no-manifest")
        element = parse_untrusted(stored)  # from verify(), whose edge translates a refusal
        self._cache.put(batch_id, element)
        return element

    def _open(self) -> PartitionReader:
        reader = PartitionReader(self.settings)
        try:
            reader.assign((self.topic, p) for p in reader.partitions(self.topic))
            stored = self.state.manifest_positions()
            reader.seek({(self.topic, p): offset for p, offset in stored.items()})
        except BaseException:
            reader.close()
            raise
        return reader

    def _fetch_until(self, batch_id: str) -> None:
        """Read the batches topic forward, checking and storing every manifest, until found."""
        if self._reader is None:
            self._reader = self._open()
        reader = self._reader
        deadline = time.monotonic() + MANIFEST_FETCH_TIMEOUT_S
        found = False
        while not found and time.monotonic() < deadline:
            polled = reader.poll(MANIFEST_POLL_S)
            fresh: list[tuple[str, bytes]] = []
            for msg in polled:
                try:
                    verified = self._batches.verify_manifest(msg.value)
                except (VerificationError, UnsafeXmlError):
                    continue  # a manifest that does not verify proves nothing
                fresh.append((verified.info.batch_id, msg.value))
                found = found or verified.info.batch_id == batch_id
            if polled:
                self.state.store_manifests(
                    fresh, {p: reader.position((t, p)) for t, p in reader.assigned})
            elif not found and reader.at_end():
                return

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class EventVerifier:
    """Turns raw event bytes into the verified event element plus how it was verified."""

    def __init__(
        self, trust: TrustStore, settings: Settings, state: ConsumerState, batches_topic: str
    ) -> None:
        self.trust = trust
        self._batches: Any = None
        self.manifests: ManifestSource | None = None
        self._settings, self._state, self._topic = settings, state, batches_topic

    def _batch_verifier(self) -> tuple[Any, ManifestSource]:
        if self._batches is None:
            from security.batch_verifier import BatchVerifier

            self._batches = BatchVerifier(self.trust)
            self.manifests = ManifestSource(self._settings, self._topic, self._state, self._batches)
        assert self.manifests is not None
        return self._batches, self.manifests

    @map_errors()
    def verify(self, raw: bytes) -> tuple[etree._Element, str]:
        """The verified event and how; raises the hub's TrustError or HostileXmlError."""
        root = parse_untrusted(raw)
        if signature_element(root) is not None:
            return verify_hub_document(root, trust=self.trust).element, "signature"
        if proof_element(root) is None:
            raise TrustError(
                "event carries neither a signature nor a batch proof", rule="event.unsigned"
            )
        batches, manifests = self._batch_verifier()
        batch_id = proof_batch_id(root)
        verified = batches.verify_event(root, manifests.get(batch_id))
        return root, f"batch:{verified.batch_id}"

    def close(self) -> None:
        if self.manifests is not None:
            self.manifests.close()
