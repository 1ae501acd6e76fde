"""Properties of the batch Merkle tree for random batch sizes and digests.

Every leaf's proof verifies against the root; any change to the leaf, the root,
a sibling, the claimed position or the length of the path makes it fail. The
root is also checked against a separate restatement of the construction
(domain-separated hashes, lone last node promoted).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security.errors import MerkleUsageError
from security.merkle import ALLOWED_DIGESTS, MerkleProof, MerkleTree

digests = st.binary(min_size=1, max_size=48)
batches = st.lists(digests, min_size=1, max_size=40)
# Distinct digests: two equal events in one batch are interchangeable by design.
distinct = st.lists(digests, min_size=2, max_size=40, unique=True)


def reference_root(leaves: list[bytes]) -> bytes:
    level = [hashlib.sha256(b"\x00" + d).digest() for d in leaves]
    while len(level) > 1:
        pairs = [level[i:i + 2] for i in range(0, len(level), 2)]
        level = [hashlib.sha256(b"\x01" + p[0] + p[1]).digest() if len(p) == 2 else p[0]
                 for p in pairs]
    return level[0]


def built(leaves: list[bytes]) -> MerkleTree:
    tree = MerkleTree("sha256")
    for i, d in enumerate(leaves):
        assert tree.add(d) == i
    tree.finish()
    return tree


@given(batches)
def test_root_matches_the_construction(leaves: list[bytes]) -> None:
    tree = built(leaves)
    assert tree.root == reference_root(leaves) and len(tree) == len(leaves)


@given(batches)
def test_every_leaf_proof_verifies(leaves: list[bytes]) -> None:
    tree = built(leaves)
    for i, d in enumerate(leaves):
        proof = tree.proof(i)
        assert proof.verifies(d, tree.root)
        # A path is at most the tree's height.
        assert len(proof.siblings) <= max(1, len(leaves) - 1).bit_length()


@given(batches, st.data())
def test_a_changed_leaf_fails(leaves: list[bytes], data: st.DataObject) -> None:
    tree = built(leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    other = data.draw(digests.filter(lambda d: d != leaves[i]))
    assert not tree.proof(i).verifies(other, tree.root)


@given(distinct, st.data())
def test_a_proof_is_bound_to_its_position(leaves: list[bytes], data: st.DataObject) -> None:
    tree = built(leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    j = data.draw(st.integers(0, len(leaves) - 1).filter(lambda j: j != i))
    moved = replace(tree.proof(i), index=j)
    assert not moved.verifies(leaves[i], tree.root)


@given(distinct, st.data())
def test_tampered_paths_fail(leaves: list[bytes], data: st.DataObject) -> None:
    tree = built(leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    proof = tree.proof(i)
    k = data.draw(st.integers(0, len(proof.siblings) - 1))
    flipped = bytes([proof.siblings[k][0] ^ 1]) + proof.siblings[k][1:]
    sibs = list(proof.siblings)
    for bad in (
        replace(proof, siblings=tuple([*sibs[:k], flipped, *sibs[k + 1:]])),
        replace(proof, siblings=tuple(sibs[:k] + sibs[k + 1:])),
        replace(proof, siblings=tuple([*sibs, flipped])),
    ):
        assert not bad.verifies(leaves[i], tree.root)
    assert not proof.verifies(leaves[i], hashlib.sha256(tree.root).digest())


@given(distinct)
def test_reordering_changes_the_root(leaves: list[bytes]) -> None:
    assert built(leaves[::-1]).root != built(leaves).root


@given(st.integers(-3, 3), st.integers(0, 3))
def test_out_of_batch_positions_never_verify(index: int, count: int) -> None:
    proof = MerkleProof(index, count, ())
    if not 0 <= index < count or count > 1:
        assert not proof.verifies(b"x", reference_root([b"x"]))
    else:
        assert proof.verifies(b"x", reference_root([b"x"]))


@given(batches, st.sampled_from(sorted(ALLOWED_DIGESTS)))
def test_proofs_carry_the_tree_digest(leaves: list[bytes], digest: str) -> None:
    tree = MerkleTree(digest)
    for d in leaves:
        tree.add(d)
    root = tree.finish()
    assert len(root) == hashlib.new(digest).digest_size
    for i, d in enumerate(leaves):
        proof = tree.proof(i)
        assert proof.digest == digest and proof.verifies(d, root)


def test_misuse_is_explained() -> None:
    """Each refusal says what was wrong (an operator reads these in a failed run)."""
    tree = MerkleTree()
    with pytest.raises(MerkleUsageError, match=r"^call finish\(\) before root or proof\(\)$"):
        _ = tree.root
    tree.add(b"a")
    tree.add(b"b")
    tree.finish()
    with pytest.raises(MerkleUsageError, match=r"^leaf index 2 outside batch of 2$"):
        tree.proof(2)
    proof = tree.proof(0)
    with pytest.raises(MerkleUsageError, match=r"^leaf index 2 outside batch of 2$"):
        replace(proof, index=2).root_for(b"a")
    with pytest.raises(MerkleUsageError, match=r"^proof is missing siblings for its position$"):
        replace(proof, siblings=()).root_for(b"a")
    with pytest.raises(MerkleUsageError, match=r"^proof has 2 siblings, position needs 1$"):
        replace(proof, siblings=proof.siblings * 2).root_for(b"a")
