"""Name-based UUIDs (RFC 4122 version 5) without building a ``uuid.UUID`` per call.

Event ids, person ids and dedup record keys are UUIDv5 of a text; stage 1 and
stage 2 make one or more per record, and ``uuid.uuid5`` plus ``str()`` costs
about three times the SHA-1 it wraps. The values are exactly ``uuid.uuid5``'s
(tests/unit/model/test_uuids.py compares them).
"""

from __future__ import annotations

import hashlib
import uuid


def uuid5_bytes(namespace: uuid.UUID, name: str) -> bytes:
    """``uuid.uuid5(namespace, name).bytes``."""
    raw = bytearray(
        hashlib.sha1(namespace.bytes + name.encode(), usedforsecurity=False).digest()[:16]
    )
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return bytes(raw)


def uuid5_text(namespace: uuid.UUID, name: str) -> str:
    """``str(uuid.uuid5(namespace, name))``."""
    h = uuid5_bytes(namespace, name).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
