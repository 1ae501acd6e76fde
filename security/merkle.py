"""Merkle hash tree over the digests of one batch, as X-Road's batch signatures.

One class, one job. Call order (anything else raises :class:`MerkleUsageError`)::

    tree = MerkleTree("sha256")       # the digest algorithm is passed in
    i = tree.add(digest)              # once per event, in batch order -> leaf index
    root = tree.finish()              # once; no add() after it
    tree.root, tree.proof(i)          # only after finish()

Hashing is domain-separated (RFC 6962 style) so a leaf can never be passed off
as an inner node (second-preimage attack)::

    leaf(d)    = H(0x00 || d)
    node(l, r) = H(0x01 || l || r)

The tree is built level by level; a node without a right sibling is promoted
unchanged to the next level (never duplicated: duplication lets two different
batches share a root, Bitcoin's CVE-2012-2459).

Edge cases, explicit:

* 0 inputs: ``finish()`` raises; an empty batch has nothing to sign.
* 1 input: the root is ``leaf(d)`` and the proof's path is empty.

A proof is ``(index, count, siblings)``. The verifier derives on which side each
sibling sits from ``index`` and ``count`` rather than trusting sides sent with
the proof, so a proof cannot claim a position it does not have.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from security.errors import MerkleUsageError

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
#: The one allow-list of the hub's digests (hashlib names): the Merkle tree's, the events'
#: leaf digests (``batch.event_digest``), ``SecuritySettings.batch_digest`` and the XMLDSig
#: digests (``settings.DEFAULT_DIGESTS``) are drawn from it. SHA-2 only: SHA-1 and MD5 are
#: too weak, and the contract names SHA-2 alone (the event's ``Digest`` pattern
#: ``sha(256|384|512):``, the proof's ``DigestMethod``), as does Debian's xmlsec1 1.2.
ALLOWED_DIGESTS = frozenset({"sha256", "sha384", "sha512"})


def _hasher(name: str) -> Callable[[bytes], bytes]:
    if name not in ALLOWED_DIGESTS:
        raise MerkleUsageError(f"digest {name!r} not allowed; use one of {sorted(ALLOWED_DIGESTS)}")
    ctor = getattr(hashlib, name)
    return lambda data: ctor(data).digest()


@dataclass(frozen=True, slots=True)
class MerkleProof:
    """The sibling path of one leaf; verifies against a root on its own."""

    index: int
    count: int
    siblings: tuple[bytes, ...]
    digest: str = "sha256"

    def root_for(self, leaf_digest: bytes) -> bytes:
        """The root this proof yields for ``leaf_digest`` (compare it to the signed root)."""
        h = _hasher(self.digest)
        if not 0 <= self.index < self.count:
            raise MerkleUsageError(f"leaf index {self.index} outside batch of {self.count}")
        node = h(LEAF_PREFIX + leaf_digest)
        index, size, used = self.index, self.count, 0
        while size > 1:
            if index % 2 == 1:  # left sibling exists
                node = h(NODE_PREFIX + self._sibling(used) + node)
                used += 1
            elif index + 1 < size:  # right sibling exists
                node = h(NODE_PREFIX + node + self._sibling(used))
                used += 1
            # else: lone last node, promoted unchanged
            index //= 2
            size = (size + 1) // 2
        if used != len(self.siblings):
            raise MerkleUsageError(
                f"proof has {len(self.siblings)} siblings, position needs {used}"
            )
        return node

    def verifies(self, leaf_digest: bytes, root: bytes) -> bool:
        try:
            return self.root_for(leaf_digest) == root
        except MerkleUsageError:
            return False

    def _sibling(self, used: int) -> bytes:
        if used >= len(self.siblings):
            raise MerkleUsageError("proof is missing siblings for its position")
        return self.siblings[used]


class MerkleTree:
    """Collects leaf digests, then yields the root and each leaf's proof."""

    def __init__(self, digest: str = "sha256") -> None:
        self._digest_name = digest
        self._h = _hasher(digest)
        self._leaves: list[bytes] = []
        self._levels: list[list[bytes]] | None = None

    @property
    def digest(self) -> str:
        return self._digest_name

    def add(self, digest: bytes) -> int:
        """Add one event digest; returns its leaf index."""
        if self._levels is not None:
            raise MerkleUsageError("add() after finish(): start a new tree for a new batch")
        if not isinstance(digest, bytes) or not digest:
            raise MerkleUsageError("a leaf is the non-empty digest bytes of one event")
        self._leaves.append(self._h(LEAF_PREFIX + digest))
        return len(self._leaves) - 1

    def finish(self) -> bytes:
        """Build the tree once and return its root."""
        if self._levels is not None:
            raise MerkleUsageError("finish() called twice")
        if not self._leaves:
            raise MerkleUsageError("empty batch: there is nothing to sign")
        h = self._h
        levels = [self._leaves]
        level = self._leaves
        while len(level) > 1:
            nxt = [h(NODE_PREFIX + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            levels.append(nxt)
            level = nxt
        self._levels = levels
        return level[0]

    def __len__(self) -> int:
        return len(self._leaves)

    @property
    def root(self) -> bytes:
        return self._finished()[-1][0]

    def proof(self, index: int) -> MerkleProof:
        """The sibling path for leaf ``index`` (bottom up)."""
        levels = self._finished()
        count = len(self._leaves)
        if not 0 <= index < count:
            raise MerkleUsageError(f"leaf index {index} outside batch of {count}")
        siblings: list[bytes] = []
        i = index
        for level in levels[:-1]:
            sib = i ^ 1
            if sib < len(level):
                siblings.append(level[sib])
            i //= 2
        return MerkleProof(index, count, tuple(siblings), self._digest_name)

    def sibling_hex_path(self, index: int, memo: dict[tuple[int, int], tuple[str, ...]]
                         ) -> tuple[str, ...]:
        """The hex of :meth:`proof`'s siblings for leaf ``index``, bottom up.

        Leaves share the upper part of their paths: ``memo`` (one per tree, owned by
        the caller) keeps each inner node's path to the root, so a batch formats every
        node once and a leaf's path costs one lookup and one tuple concatenation.
        """
        levels = self._finished()
        count = len(self._leaves)
        if not 0 <= index < count:
            raise MerkleUsageError(f"leaf index {index} outside batch of {count}")
        rest = self._path_above(levels, 1, index >> 1, memo)
        sib = index ^ 1
        return (levels[0][sib].hex(), *rest) if sib < count else rest

    @staticmethod
    def _path_above(levels: list[list[bytes]], k: int, j: int,
                    memo: dict[tuple[int, int], tuple[str, ...]]) -> tuple[str, ...]:
        """Sibling hexes from level ``k`` up for node ``j`` of that level (memoised)."""
        if k >= len(levels) - 1:
            return ()
        found = memo.get((k, j))
        if found is None:
            rest = MerkleTree._path_above(levels, k + 1, j >> 1, memo)
            level, sib = levels[k], j ^ 1
            found = memo[(k, j)] = (level[sib].hex(), *rest) if sib < len(level) else rest
        return found

    def _finished(self) -> list[list[bytes]]:
        if self._levels is None:
            raise MerkleUsageError("call finish() before root or proof()")
        return self._levels
