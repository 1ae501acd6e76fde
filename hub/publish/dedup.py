"""Deduplication decisions: is a report of a fact new, a replay, a correction, stale or a
corroboration?

Pure logic over an index lookup; stage 2 wires it between the intake and the
event topics and writes :attr:`Decision.writes` to the compacted index topic in
the same transaction as the events.

The index holds two kinds of entry, both under 16-byte keys:

* under the **event id**: the report that established the event (its *primary*
  record: source, record, latest version, content digest, and ``first_source``);
* under the **record key** (UUIDv5 of source + record id): the latest version of
  every record seen, primary or corroborating, and the event it reported.

    first report of a fact ............................ NEW            (publish event)
    same source, record, version and content .......... REPLAY         (drop, count)
    same source and record, higher version ............ CORRECTION     (publish new version)
      … whose corrected fields move it to another fact  CORRECTION     supersedes the old event id
    same source and record, lower version ............. STALE          (drop, count)
    same event id from another source or record ....... CORROBORATION  (publish as corroboration)

A record re-sent with the *same* version but other content is treated as a
correction (never dropped: losing an agency's change silently is worse than
one more version) and counted apart.
"""

from __future__ import annotations

import enum
import hashlib
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.errors import StateError
from hub.model.uuids import uuid5_bytes

#: Namespace of record keys in the index (= uuid5(NAMESPACE_URL, "urn:kz:mhub:dedup-record")).
RECORD_NAMESPACE = uuid.UUID("62397559-30b7-53ba-b173-a7900888af54")
#: Content digests are compared on their first 8 bytes: a false "same content"
#: needs a 2^-64 collision between two versions of one record.
DIGEST_BYTES = 8


class Outcome(enum.StrEnum):
    NEW = "new"
    REPLAY = "replay"
    CORRECTION = "correction"
    STALE = "stale"
    CORROBORATION = "corroboration"

    @property
    def published(self) -> bool:
        """Whether stage 2 publishes something for this outcome."""
        return self in {Outcome.NEW, Outcome.CORRECTION, Outcome.CORROBORATION}


def record_ref(source: str, record_id: str) -> int:
    """A stable 64-bit reference to (source, record id): what the compact index compares."""
    digest = hashlib.blake2b(f"{source}\x1f{record_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def record_index_key(source: str, record_id: str) -> bytes:
    """The 16-byte index key of a record (event ids are keyed by their own 16 bytes)."""
    return uuid5_bytes(RECORD_NAMESPACE, f"{source}\x1f{record_id}")


@dataclass(frozen=True, slots=True)
class Report:
    """One report of a fact, as stage 2 sees it after resolution and keying (what
    :func:`decide` classifies; the intake's record is ``hub.model.candidate.Candidate``)."""

    event_id: uuid.UUID
    source: str
    record_id: str
    version: int
    digest: bytes  # content digest; only the first DIGEST_BYTES count
    #: record_index_key(source, record_id) when the caller already made it
    record_key: bytes = b""

    @property
    def ref(self) -> int:
        return record_ref(self.source, self.record_id)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What the index remembers under one key (see the module docstring)."""

    event_id: uuid.UUID
    source: str
    record_ref: int
    version: int
    digest: bytes
    first_source: str

    def __post_init__(self) -> None:
        if len(self.digest) != DIGEST_BYTES:
            short = bytes(self.digest[:DIGEST_BYTES]).ljust(DIGEST_BYTES, b"\0")
            object.__setattr__(self, "digest", short)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one report and the index entries to write with it."""

    outcome: Outcome
    event_id: uuid.UUID
    corroborates: uuid.UUID | None = None
    supersedes: uuid.UUID | None = None
    same_version_change: bool = False
    writes: tuple[tuple[bytes, IndexEntry], ...] = ()


IndexLookup = Callable[[bytes], IndexEntry | None]


def decide(report: Report, index_lookup: IndexLookup) -> Decision:
    """Classify one report against the index; pure apart from the lookups."""
    c = report
    ref = c.ref
    digest = c.digest[:DIGEST_BYTES]
    rkey = c.record_key or record_index_key(c.source, c.record_id)
    ekey = c.event_id.bytes
    seen = index_lookup(rkey)
    if seen is not None:
        if c.version < seen.version:
            return Decision(Outcome.STALE, seen.event_id)
        if c.version == seen.version and digest == seen.digest:
            return Decision(Outcome.REPLAY, seen.event_id)
    event = index_lookup(ekey)
    if seen is not None:
        same_version = c.version == seen.version
        supersedes = seen.event_id if seen.event_id != c.event_id else None
        if event is None or event.record_ref == ref:
            first = event.first_source if event is not None else c.source
            entry = IndexEntry(c.event_id, c.source, ref, c.version, digest, first)
            return Decision(
                Outcome.CORRECTION,
                c.event_id,
                supersedes=supersedes,
                same_version_change=same_version,
                writes=((ekey, entry), (rkey, entry)),
            )
        entry = IndexEntry(c.event_id, c.source, ref, c.version, digest, event.first_source)
        return Decision(
            Outcome.CORROBORATION,
            c.event_id,
            corroborates=c.event_id,
            supersedes=supersedes,
            same_version_change=same_version,
            writes=((rkey, entry),),
        )

    if event is None:
        entry = IndexEntry(c.event_id, c.source, ref, c.version, digest, c.source)
        return Decision(Outcome.NEW, c.event_id, writes=((ekey, entry), (rkey, entry)))
    entry = IndexEntry(c.event_id, c.source, ref, c.version, digest, event.first_source)
    return Decision(
        Outcome.CORROBORATION, c.event_id, corroborates=c.event_id, writes=((rkey, entry),)
    )


@dataclass(slots=True)
class DedupStats:
    """Counts of every outcome: a record is never dropped without being counted."""

    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    superseding_corrections: int = 0  # corrections that moved a record to another fact
    same_version_changes: int = 0  # content changed without a version bump

    def record(self, decision: Decision) -> None:
        self.counts[decision.outcome] += 1
        if decision.supersedes is not None:
            self.superseding_corrections += 1
        if decision.same_version_change:
            self.same_version_changes += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def dropped(self) -> int:
        return self.counts[Outcome.REPLAY] + self.counts[Outcome.STALE]

    def as_dict(self) -> dict[str, int]:
        out = {o.value: n for o, n in self.counts.items()}
        out["superseding_corrections"] = self.superseding_corrections
        out["same_version_changes"] = self.same_version_changes
        return out


# --- the compacted topic's value format -------------------------------------------

_FIXED = struct.Struct(">16sQI8s")


def encode_entry(entry: IndexEntry) -> bytes:
    """Bytes for the compacted index topic (key: the 16-byte index key)."""
    src = entry.source.encode()
    first = entry.first_source.encode()
    return (
        _FIXED.pack(entry.event_id.bytes, entry.record_ref, entry.version, entry.digest)
        + struct.pack(">HH", len(src), len(first))
        + src
        + first
    )


def decode_entry(data: bytes) -> IndexEntry:
    try:
        eid, ref, version, digest = _FIXED.unpack_from(data)
        n_src, n_first = struct.unpack_from(">HH", data, _FIXED.size)
        start = _FIXED.size + 4
        if len(data) != start + n_src + n_first:  # a cut or padded value is not an entry
            raise struct.error("length does not match the encoded name lengths")
        source = data[start : start + n_src].decode()
        first = data[start + n_src : start + n_src + n_first].decode()
    except (struct.error, UnicodeDecodeError) as exc:
        raise StateError(f"corrupt dedup index entry ({len(data)} bytes)") from exc
    return IndexEntry(uuid.UUID(bytes=eid), source, ref, version, digest, first)
