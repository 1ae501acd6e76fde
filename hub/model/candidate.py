"""The intake candidate: one normalised report of a fact, as stage 1 hands it to stage 2.

A candidate is keyed by its resolved person (statistics observations and
quotas, which have no person, by their fact key), carries its event identity
and the record's canonical XML (exclusive C14N, signature removed), so stage 2
never parses it again. Intake travels in batches: one Kafka message holds the
candidates of one page for one intake partition, as a JSON array
(:func:`encode_batch` / :func:`decode_batch`); ``INTAKE_SCHEMA`` names that
format so stage 2 can evolve with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

#: Version of the intake message format (a JSON array of candidate objects).
INTAKE_SCHEMA = b"2"


def content_digest(person_id: str, fields: Mapping[str, str]) -> bytes:
    """SHA-256 over the person and the record's fields in a canonical order.

    Callers leave out what changes on every re-send without changing the fact
    (``updatedAt``, transport metadata), so a re-fetch is a replay.
    """
    h = hashlib.sha256(person_id.encode())
    for name in sorted(fields):
        h.update(b"\x1e" + name.encode() + b"\x1f" + str(fields[name]).encode())
    return h.digest()


@dataclass(frozen=True, slots=True)
class Candidate:
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
    person: dict[str, Any] = field(default_factory=dict)
    verified_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Candidate:
        return cls(**d)


_FIELDS = tuple(f.name for f in fields(Candidate))


def encode_batch(candidates: list[Candidate]) -> bytes:
    """One intake message's value: the candidates in page order."""
    return json.dumps(
        [c.to_dict() for c in candidates], ensure_ascii=False, separators=(",", ":")
    ).encode()


def decode_batch(value: bytes) -> list[Candidate]:
    return [Candidate(**d) for d in json.loads(value)]
