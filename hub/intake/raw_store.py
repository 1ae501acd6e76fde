"""Content-addressed store of raw documents exactly as agencies sent them.

Every event and every quarantined record names the digest of its raw document,
so an operator can always show the bytes an agency sent. Documents are written
a page at a time into an append-only *pack* file, with an SQLite index from
digest to (pack, offset, length): one file per page instead of one per record
(a million records are a few hundred files, not a million inodes). Writes are
idempotent (a digest already stored is skipped) and reads verify the digest, so
a damaged pack is detected, never served.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from hub.errors import StateError
from hub.sqlite_wal import use_wal


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


class RawStore:
    """A local folder of packs plus an index; S3-compatible storage in production."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(root / "index.sqlite", isolation_level=None, timeout=30)
        use_wal(self.db)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS raw (digest TEXT PRIMARY KEY, pack TEXT NOT NULL,"
            " off INTEGER NOT NULL, len INTEGER NOT NULL, stored REAL NOT NULL) WITHOUT ROWID"
        )

    def close(self) -> None:
        self.db.close()

    def put(self, body: bytes, digest: str | None = None) -> str:
        return self.put_many([(body, digest or _digest(body))])[0]

    def put_many(self, documents: Iterable[tuple[bytes, str]]) -> list[str]:
        """Store a page of documents in one pack; return their digests in order."""
        docs = [(body, d or _digest(body)) for body, d in documents]
        digests = [d for _b, d in docs]
        for d in digests:
            _check(d)
        known = self._known(digests)
        new = [(b, d) for b, d in docs if d not in known]
        if not new:
            return digests
        now = time.time()
        day = time.strftime("%Y%m%d", time.gmtime(now))
        pack = f"{day}/{uuid.uuid4().hex}.pack"
        path = self.root / pack
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = []
        offset = 0
        seen: set[str] = set()
        with path.open("wb") as f:
            for body, d in new:
                if d in seen:
                    continue
                seen.add(d)
                f.write(body)
                rows.append((d, pack, offset, len(body), now))
                offset += len(body)
            f.flush()
            os.fsync(f.fileno())
        # The index names a pack only after its bytes are on disk; one index
        # transaction per page (autocommit would make each row its own commit).
        self.db.execute("BEGIN")
        try:
            self.db.executemany("INSERT OR IGNORE INTO raw VALUES (?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return digests

    def _known(self, digests: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(digests), 500):
            chunk = digests[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.db.execute(f"SELECT digest FROM raw WHERE digest IN ({marks})", chunk)
            )
        return found

    def get(self, digest: str) -> bytes:
        _check(digest)
        row = self.db.execute("SELECT pack, off, len FROM raw WHERE digest=?", (digest,)).fetchone()
        if row is None:
            raise StateError(f"raw document {digest} is not in the store")
        pack, off, length = row
        try:
            with (self.root / pack).open("rb") as f:
                f.seek(off)
                body = f.read(length)
        except FileNotFoundError as exc:
            raise StateError(f"raw document {digest}: pack {pack} is missing") from exc
        if _digest(body) != digest:
            raise StateError(f"raw document {digest} is corrupt on disk (pack {pack})")
        return body

    def __contains__(self, digest: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM raw WHERE digest=?", (digest,)).fetchone())

    def expire(self, retention_days: int, now: float | None = None) -> int:
        """Delete packs older than the retention period and their index rows; return rows."""
        cutoff = (now or time.time()) - retention_days * 86400
        packs = [
            r[0]
            for r in self.db.execute(
                "SELECT pack FROM raw GROUP BY pack HAVING max(stored) < ?", (cutoff,)
            )
        ]
        removed = 0
        for pack in packs:
            removed += self.db.execute("DELETE FROM raw WHERE pack=?", (pack,)).rowcount
            (self.root / pack).unlink(missing_ok=True)
        return removed


# One C-level match per digest (a character-by-character check cost ~20 µs per record).
_CONTENT_ADDRESS = re.compile(r"sha256:[0-9a-f]{64}")


def _check(digest: str) -> None:
    if _CONTENT_ADDRESS.fullmatch(digest) is None:
        raise StateError(f"not a sha256 content address: {digest!r}")
