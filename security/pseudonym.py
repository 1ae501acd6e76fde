"""Keyed pseudonyms for the statistics feed: HMAC-SHA256, never the identifier itself.

::

    pseudonym(purpose, value) =
        hex(HMAC-SHA256(key, "mhub-pseudonym/1" 0x00 purpose 0x00 value))[:32]

* **Keyed**: without the key nobody can test a guessed IIN against a pseudonym
  (a plain hash of a 12-digit IIN is brute-forced in seconds).
* **Stable**: the same key gives the same pseudonym across runs and machines,
  so statistics can count distinct persons over time.
* **Domain-separated per purpose**: the purpose (e.g. ``"statistics.flows"``)
  is part of the MAC input, so pseudonyms of one purpose cannot be joined with
  another's. The 0x00 separators make (purpose, value) unambiguous.
* 128 bits (32 hex digits) of the MAC: collision-free at national scale.

Key: the configured key (hex, at least 32 bytes; the hub's ``HUB_PSEUDONYM_KEY``
setting), else a key file (hex); ``Pseudonymizer.configured(var_dir, key_hex)``
creates ``<var_dir>/secrets/pseudonym.key`` (mode 0600) on first use for development.
Losing the key breaks continuity of the statistics; rotating it is a deliberate new series.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
from hashlib import sha256
from pathlib import Path

from security.errors import KeyConfigError

KEY_FILE = Path("secrets") / "pseudonym.key"
MIN_KEY_BYTES = 32  # HMAC-SHA256's full strength
PSEUDONYM_HEX = 32  # 128 bits
DOMAIN = b"mhub-pseudonym/1"
_PURPOSE = re.compile(r"^[a-z][a-z0-9._-]{0,63}$")


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise KeyConfigError(f"pseudonym key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key

    @classmethod
    def configured(cls, var_dir: Path, key_hex: str = "") -> Pseudonymizer:
        """The configured key (hex) when given, else the development key file under var_dir."""
        if key_hex:
            return cls(_from_hex(key_hex, "the configured pseudonym key"))
        return cls.from_file(Path(var_dir) / KEY_FILE, create=True)

    @classmethod
    def from_file(cls, path: Path, *, create: bool = False) -> Pseudonymizer:
        path = Path(path)
        if not path.exists():
            if not create:
                raise KeyConfigError(f"no pseudonym key at {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(MIN_KEY_BYTES) + "\n")
        return cls(_from_hex(path.read_text(), str(path)))

    def pseudonym(self, purpose: str, value: str) -> str:
        """The pseudonym of ``value`` (a person key) for ``purpose``."""
        if not _PURPOSE.match(purpose):
            raise ValueError(f"purpose {purpose!r}: lower-case name like 'statistics.flows'")
        if not value:
            raise ValueError("nothing to pseudonymise")
        message = DOMAIN + b"\x00" + purpose.encode() + b"\x00" + value.encode("utf-8")
        return hmac.new(self._key, message, sha256).hexdigest()[:PSEUDONYM_HEX]

    def __repr__(self) -> str:  # never print the key
        return "Pseudonymizer(key=<hidden>)"


def _from_hex(text: str, where: str) -> bytes:
    try:
        return bytes.fromhex(text.strip())
    except ValueError as exc:
        raise KeyConfigError(f"{where}: pseudonym key must be hex") from exc
