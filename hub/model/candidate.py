"""The intake candidate: one normalised report of a fact, as stage 1 hands it to stage 2.

A candidate is keyed by its resolved person (statistics observations and
quotas, which have no person, by their fact key), carries its event identity
and the record's canonical XML (exclusive C14N, signature removed), so stage 2
never parses it again. Intake travels in batches: one Kafka message holds
candidates of one page for one intake partition, as a JSON array
(:func:`encode_batches` / :func:`decode_batch`); ``INTAKE_SCHEMA`` names that
format so stage 2 can evolve with it. The codec is msgspec's (typed JSON in C):
measured, it costs about a tenth of the standard library's per candidate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

#: Version of the intake message format (a JSON array of candidate objects).
INTAKE_SCHEMA = b"2"


def content_digest(person_id: str, fields: Mapping[str, str]) -> bytes:
    """SHA-256 over the person and the record's fields in a canonical order.

    Callers leave out what changes on every re-send without changing the fact
    (``updatedAt``, transport metadata), so a re-fetch is a replay.
    """
    # One string, encoded once: the same bytes as hashing field by field, a third of the CPU.
    text = "".join([person_id, *(f"\x1e{name}\x1f{fields[name]!s}" for name in sorted(fields))])
    return hashlib.sha256(text.encode()).digest()


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """A normalised record ready for intake: keyed by person, with its event identity."""

    source: str
    record_id: str
    version: int
    record_type: str
    family: str
    fact: str
    event_key: str
    event_id: str
    partition_key: str
    person_id: str
    occurred_at: str
    updated_at: str
    raw_digest: str
    content_digest: str
    #: the agency record in exclusive C14N, its partner signature removed
    record_xml: str
    schema_version: int = 1
    person: dict[str, Any] = msgspec.field(default_factory=dict)
    verified_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Candidate:
        return cls(**d)


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(list[Candidate])


def encode_batch(candidates: list[Candidate]) -> bytes:
    """One intake message's value: the candidates in page order."""
    return _ENCODER.encode(candidates)


def encode_batches(candidates: list[Candidate], max_bytes: int) -> Iterator[tuple[int, bytes]]:
    """The candidates as consecutive intake messages of at most ``max_bytes`` each.

    Yields (count, value) pairs in page order. A single candidate larger than the
    limit still travels alone (the broker's own limit then decides).
    """
    parts: list[bytes] = []
    size = 1  # the message so far: "[" and each part with its "," or closing "]"
    for c in candidates:
        part = _ENCODER.encode(c)
        if parts and size + len(part) + 1 > max_bytes:
            yield len(parts), b"[" + b",".join(parts) + b"]"
            parts, size = [], 1
        parts.append(part)
        size += len(part) + 1
    if parts:
        yield len(parts), b"[" + b",".join(parts) + b"]"


def decode_batch(value: bytes) -> list[Candidate]:
    return _DECODER.decode(value)
