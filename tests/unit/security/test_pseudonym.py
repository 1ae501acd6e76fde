"""Keyed pseudonyms: stable per key, separated per purpose, never the identifier."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from security.errors import KeyConfigError
from security.pseudonym import KEY_FILE, Pseudonymizer

KEY = bytes(range(32))
IIN = "900102300512"


class TestPseudonym:
    def test_known_answer(self) -> None:
        expected = hmac.new(
            KEY, b"mhub-pseudonym/1\x00statistics\x00" + IIN.encode(), hashlib.sha256
        ).hexdigest()[:32]
        assert Pseudonymizer(KEY).pseudonym("statistics", IIN) == expected

    def test_stable_across_instances(self) -> None:
        assert Pseudonymizer(KEY).pseudonym("statistics", IIN) == Pseudonymizer(
            bytes(KEY)).pseudonym("statistics", IIN)

    def test_not_the_identifier_nor_its_plain_hash(self) -> None:
        p = Pseudonymizer(KEY).pseudonym("statistics", IIN)
        assert IIN not in p
        assert p not in hashlib.sha256(IIN.encode()).hexdigest()

    def test_key_matters(self) -> None:
        other = Pseudonymizer(bytes(32)).pseudonym("statistics", IIN)
        assert other != Pseudonymizer(KEY).pseudonym("statistics", IIN)

    def test_purposes_are_separated(self) -> None:
        p = Pseudonymizer(KEY)
        assert p.pseudonym("statistics", IIN) != p.pseudonym("research", IIN)

    def test_separator_prevents_ambiguity(self) -> None:
        p = Pseudonymizer(KEY)
        assert p.pseudonym("stat", "a\x00b") != p.pseudonym("stat.a", "b")

    def test_short_key_refused(self) -> None:
        with pytest.raises(KeyConfigError):
            Pseudonymizer(b"short")

    def test_repr_hides_key(self) -> None:
        assert KEY.hex() not in repr(Pseudonymizer(KEY))


class TestKeySource:
    def test_configured_key(self, tmp_path) -> None:
        p = Pseudonymizer.configured(tmp_path, KEY.hex())
        assert p.pseudonym("statistics", IIN) == Pseudonymizer(KEY).pseudonym("statistics", IIN)
        assert not (tmp_path / KEY_FILE).exists()

    def test_dev_key_file_created_once_and_reused(self, tmp_path) -> None:
        first = Pseudonymizer.configured(tmp_path).pseudonym("statistics", IIN)
        path = tmp_path / KEY_FILE
        assert path.stat().st_mode & 0o777 == 0o600
        assert Pseudonymizer.configured(tmp_path).pseudonym("statistics", IIN) == first

    def test_bad_configured_key(self, tmp_path) -> None:
        with pytest.raises(KeyConfigError):
            Pseudonymizer.configured(tmp_path, "not-hex")
