"""Merkle batch tree: known answers, every proof of sizes 1..33, misuse fails fast."""

from __future__ import annotations

import hashlib

import pytest

from security.errors import MerkleUsageError
from security.merkle import MerkleProof, MerkleTree


def digests(n: int, algo: str = "sha256") -> list[bytes]:
    return [hashlib.new(algo, b"event-%d" % i).digest() for i in range(n)]


def built(n: int, algo: str = "sha256") -> MerkleTree:
    tree = MerkleTree(algo)
    for d in digests(n, algo):
        tree.add(d)
    tree.finish()
    return tree


def H(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# Roots pinned when the format was defined: a change here breaks every published proof.
KNOWN_ROOTS = {
    1: "e92348a95c75e943f06588e8f4e6c73d17fbe56595c75169aafbb8086ad75adf",
    2: "6de3c59a3e329a98770e8c038c0ddc766ec1043d9f69b53330a6e20da76fe934",
    3: "889c7b0b601b40a117fd856be1a22a045b6e521b8f1e08c8e7bd8f0646fbed72",
    4: "8b897bec17dfc6f9f4d1563d12da0feb2cad54820b11146a3a9dcab584de6fa0",
    5: "3c62a41e41adff75f778a4069d6239022bbaa808c0d24a805147562483429914",
    7: "d01437ad52b18e6584ce03f2d29d7597f8d31803f2160fb31c670a64af325417",
    33: "287c90314a29ccdf69be582db8df6249092ac4015fbd004a6454ed6db7adbb70",
}


class TestKnownAnswers:
    @pytest.mark.parametrize("n", sorted(KNOWN_ROOTS))
    def test_pinned_roots(self, n: int) -> None:
        assert built(n).root.hex() == KNOWN_ROOTS[n]

    def test_formula_one_two_three(self) -> None:
        d = digests(3)
        leaf = [H(b"\x00" + x) for x in d]
        assert built(1).root == leaf[0]
        assert built(2).root == H(b"\x01" + leaf[0] + leaf[1])
        # the third leaf has no sibling and is promoted unchanged, never duplicated
        assert built(3).root == H(b"\x01" + H(b"\x01" + leaf[0] + leaf[1]) + leaf[2])

    def test_digest_algorithm_is_passed_in(self) -> None:
        root = built(5, "sha512").root
        assert len(root) == 64
        assert root.hex().startswith("e74fc0e38623dab87f56b4d848d60384")

    def test_leaf_cannot_pose_as_node(self) -> None:
        """Second preimage: the 2-leaf root's preimage, added as one leaf, gives another root."""
        two = built(2)
        d = digests(2)
        forged = MerkleTree()
        forged.add(H(b"\x00" + d[0]) + H(b"\x00" + d[1]))
        assert forged.finish() != two.root


class TestProofs:
    @pytest.mark.parametrize("n", range(1, 34))
    def test_every_proof_of_every_size(self, n: int) -> None:
        tree = built(n)
        for i, d in enumerate(digests(n)):
            proof = tree.proof(i)
            assert proof.verifies(d, tree.root)
            assert len(proof.siblings) <= max(1, (n - 1).bit_length())

    def test_one_input_has_empty_path(self) -> None:
        assert built(1).proof(0).siblings == ()

    def test_wrong_leaf_fails(self) -> None:
        tree = built(9)
        assert not tree.proof(3).verifies(digests(9)[4], tree.root)

    def test_altered_sibling_fails(self) -> None:
        tree = built(9)
        p = tree.proof(3)
        bad = MerkleProof(p.index, p.count, (b"\x00" * 32, *p.siblings[1:]), p.digest)
        assert not bad.verifies(digests(9)[3], tree.root)

    def test_claimed_index_must_match_path(self) -> None:
        tree = built(8)
        p = tree.proof(3)
        moved = MerkleProof(2, p.count, p.siblings, p.digest)
        assert not moved.verifies(digests(8)[3], tree.root)

    def test_truncated_or_padded_path_fails(self) -> None:
        tree = built(8)
        p = tree.proof(5)
        short = MerkleProof(p.index, p.count, p.siblings[:-1], p.digest)
        long = MerkleProof(p.index, p.count, (*p.siblings, b"\x00" * 32), p.digest)
        assert not short.verifies(digests(8)[5], tree.root)
        assert not long.verifies(digests(8)[5], tree.root)

    def test_wrong_count_fails(self) -> None:
        tree = built(6)
        p = tree.proof(5)
        assert not MerkleProof(5, 7, p.siblings).verifies(digests(6)[5], tree.root)


class TestMisuse:
    def test_empty_batch(self) -> None:
        with pytest.raises(MerkleUsageError, match="empty"):
            MerkleTree().finish()

    def test_add_after_finish(self) -> None:
        tree = built(2)
        with pytest.raises(MerkleUsageError):
            tree.add(digests(1)[0])

    def test_finish_twice(self) -> None:
        with pytest.raises(MerkleUsageError):
            built(2).finish()

    def test_root_before_finish(self) -> None:
        tree = MerkleTree()
        tree.add(digests(1)[0])
        with pytest.raises(MerkleUsageError):
            _ = tree.root
        with pytest.raises(MerkleUsageError):
            tree.proof(0)

    def test_index_out_of_range(self) -> None:
        with pytest.raises(MerkleUsageError):
            built(3).proof(3)

    def test_weak_digest_refused(self) -> None:
        with pytest.raises(MerkleUsageError):
            MerkleTree("sha1")
        with pytest.raises(MerkleUsageError):
            MerkleTree("md5")

    def test_empty_leaf_refused(self) -> None:
        with pytest.raises(MerkleUsageError):
            MerkleTree().add(b"")
