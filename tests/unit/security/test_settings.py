"""Security settings refuse weak choices when built; the defaults are the safe ones."""

from __future__ import annotations

import dataclasses

import pytest
from signxml import DigestAlgorithm, SignatureMethod

from security.errors import SecurityConfigError
from security.settings import DEFAULT_SETTINGS, SecuritySettings


class TestSettings:
    def test_defaults_have_no_sha1(self) -> None:
        assert not any("SHA1" in m.name for m in DEFAULT_SETTINGS.signature_methods)
        assert DigestAlgorithm.SHA1 not in DEFAULT_SETTINGS.digest_algorithms
        assert DEFAULT_SETTINGS.min_rsa_bits >= 2048

    @pytest.mark.parametrize("method", [SignatureMethod.RSA_SHA1, SignatureMethod.ECDSA_SHA1,
                                        SignatureMethod.HMAC_SHA256, SignatureMethod.DSA_SHA256])
    def test_weak_signature_methods_refused(self, method) -> None:
        with pytest.raises(SecurityConfigError):
            SecuritySettings(signature_methods=frozenset({method}))

    def test_sha1_digest_refused(self) -> None:
        with pytest.raises(SecurityConfigError):
            SecuritySettings(digest_algorithms=frozenset({DigestAlgorithm.SHA1}))

    def test_short_rsa_refused(self) -> None:
        with pytest.raises(SecurityConfigError):
            SecuritySettings(min_rsa_bits=1024)

    def test_unknown_curve_refused(self) -> None:
        with pytest.raises(SecurityConfigError):
            SecuritySettings(curves=frozenset({"secp192r1"}))

    def test_frozen(self) -> None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            DEFAULT_SETTINGS.min_rsa_bits = 1024  # type: ignore[misc]
