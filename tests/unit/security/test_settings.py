"""Security settings refuse weak choices when built; the defaults are the safe ones."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod

from security.batch import event_digest
from security.errors import MerkleUsageError, SecurityConfigError
from security.merkle import ALLOWED_DIGESTS, MerkleTree
from security.settings import DEFAULT_DIGESTS, DEFAULT_SETTINGS, SecuritySettings


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


class TestOneDigestAllowList:
    """The Merkle tree, the events' leaf digests, the batch setting and XMLDSig agree."""

    def test_the_xmldsig_digests_are_the_allow_list(self) -> None:
        assert {d.name.lower() for d in DEFAULT_DIGESTS} == ALLOWED_DIGESTS
        assert {"sha256", "sha384", "sha512"} == ALLOWED_DIGESTS

    @pytest.mark.parametrize("name", ["sha3_256", "sha1", "md5"])
    def test_a_digest_outside_it_is_refused_everywhere(self, name: str) -> None:
        with pytest.raises(SecurityConfigError):
            SecuritySettings(batch_digest=name)
        with pytest.raises(MerkleUsageError):
            MerkleTree(name)
        with pytest.raises(ValueError, match="not one of"):
            event_digest(etree.fromstring(b"<Event/>"), name)

    def test_sha3_xmldsig_digest_refused(self) -> None:
        with pytest.raises(SecurityConfigError):
            SecuritySettings(digest_algorithms=frozenset({DigestAlgorithm.SHA3_256}))

    @pytest.mark.parametrize("name", sorted(ALLOWED_DIGESTS))
    def test_every_allowed_digest_signs_and_leaves(self, name: str) -> None:
        assert SecuritySettings(batch_digest=name).batch_digest == name
        tree = MerkleTree(name)
        tree.add(event_digest(etree.fromstring(b"<Event/>"), name))
        tree.finish()
        assert tree.proof(0).digest == name
