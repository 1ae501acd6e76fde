"""Content-addressed store of raw documents exactly as agencies sent them.

Every event and every quarantined record names the digest of its raw document,
so an operator can always show the bytes an agency sent. Writes are idempotent
(same bytes, same address) and atomic (write to a temp name, then rename), so a
crash never leaves a half-written document under a valid address.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from hub.errors import StateError


class RawStore:
    """A local folder, fanned out by digest prefix; S3-compatible storage in production."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, digest: str) -> Path:
        algo, _, hexd = digest.partition(":")
        if algo != "sha256" or len(hexd) != 64:
            raise StateError(f"not a sha256 content address: {digest!r}")
        return self.root / hexd[:2] / hexd[2:4] / hexd

    def put(self, body: bytes, digest: str | None = None) -> str:
        digest = digest or "sha256:" + hashlib.sha256(body).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, path)
        return digest

    def get(self, digest: str) -> bytes:
        path = self._path(digest)
        try:
            body = path.read_bytes()
        except FileNotFoundError as exc:
            raise StateError(f"raw document {digest} is not in the store") from exc
        if "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            raise StateError(f"raw document {digest} is corrupt on disk")
        return body

    def __contains__(self, digest: str) -> bool:
        return self._path(digest).exists()

    def expire(self, retention_days: int, now: float | None = None) -> int:
        """Delete documents older than the retention period; return how many."""
        cutoff = (now or time.time()) - retention_days * 86400
        removed = 0
        for path in self.root.glob("??/??/*"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
