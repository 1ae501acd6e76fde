"""Batch signatures: one XMLDSig per batch, an inclusion proof in every event.

As X-Road does: the digests of a batch's events are the leaves of a Merkle tree
(:mod:`security.merkle`); the hub signs one *manifest* carrying the root; each
event gets its own proof (leaf index and sibling path), so it verifies alone
with the manifest. Manifests of one chain (one writer, e.g. one intake
partition) link to their predecessor by digest: the audit chain
(:mod:`security.audit_chain`).

**Event digest** (the Merkle leaf input), precisely: SHA-256 over the Exclusive
XML Canonicalization 1.0 (without comments) of the event element, with every
direct child element in the proof namespace ``urn:kz:mhub:proof:1`` (and that
element's tail text) removed. Exclusive C14N makes the digest independent of
where the event is embedded (SOAP envelope, file, Kafka record). So: build the
event, compute its digest, sign the batch, then append the proof as the
event's last child; verifiers remove it again before digesting.

**Manifest** (namespace ``urn:kz:mhub:batch:1``)::

    <BatchManifest xmlns="urn:kz:mhub:batch:1" version="1">
      <BatchId/> <Chain/> <Sequence/> <SigningTime/> <KeyId/> <Count/>
      <DigestMethod>sha256</DigestMethod> <Root>hex</Root> <PreviousDigest>hex</PreviousDigest>
      <ds:Signature/>   (enveloped, URI="", exclusive C14N; see security.signer)
    </BatchManifest>

``SigningTime`` doubles as the certificate validation time. ``PreviousDigest``
is :func:`manifest_digest` of the chain's previous manifest (64 zeros for the
first, ``Sequence`` 0). **Proof** (namespace ``urn:kz:mhub:proof:1``)::

    <BatchProof xmlns="urn:kz:mhub:proof:1" version="1">
      <BatchId/> <Chain/> <Sequence/> <LeafIndex/> <LeafCount/> <DigestMethod/>
      <Path><Sibling>hex</Sibling>...</Path>     (bottom up)
    </BatchProof>
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from security.errors import ProofError
from security.keys import SigningKey
from security.merkle import ALLOWED_DIGESTS, MerkleProof, MerkleTree
from security.settings import DEFAULT_SETTINGS, SecuritySettings
from security.signer import EnvelopedSigner

BATCH_NS = "urn:kz:mhub:batch:1"
PROOF_NS = "urn:kz:mhub:proof:1"
PROOF_TAG = f"{{{PROOF_NS}}}BatchProof"
MANIFEST_TAG = f"{{{BATCH_NS}}}BatchManifest"
FORMAT_VERSION = "1"
GENESIS_DIGEST = bytes(32)  # PreviousDigest of a chain's first manifest


def canonical(element: etree._Element) -> bytes:
    """Exclusive C14N 1.0 without comments: the bytes every digest here is taken over."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def event_digest(event: etree._Element, digest: str = "sha256") -> bytes:
    """The event's Merkle leaf input: digest of its canonical form without proof (see module).

    Raises :class:`ValueError` for a digest outside :data:`~security.merkle.ALLOWED_DIGESTS`
    (a manifest naming one is refused by the verifier as ``proof.malformed``).
    """
    if digest not in ALLOWED_DIGESTS:
        raise ValueError(f"digest {digest!r} is not one of {sorted(ALLOWED_DIGESTS)}")
    if event.find(PROOF_TAG) is None:  # the signing side: no proof yet (C-level search)
        return hashlib.new(digest, canonical(event)).digest()
    tails = [(event.index(child), child, child.tail) for child in event.findall(PROOF_TAG)]
    for _, child, _ in reversed(tails):
        event.remove(child)
    try:
        return hashlib.new(digest, canonical(event)).digest()
    finally:  # put the proofs back exactly where they were
        for i, child, tail in tails:
            event.insert(i, child)
            child.tail = tail


def manifest_digest(manifest: etree._Element) -> bytes:
    """SHA-256 of the signed manifest's canonical form: the link in the audit chain."""
    return hashlib.sha256(canonical(manifest)).digest()


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where a chain stands: the last manifest's sequence number and digest."""

    chain: str
    sequence: int
    digest: bytes

    @classmethod
    def genesis(cls, chain: str) -> ChainHead:
        return cls(chain, -1, GENESIS_DIGEST)

    @classmethod
    def after(cls, manifest: etree._Element) -> ChainHead:
        """The head after a published manifest (to resume signing after a restart)."""
        m = Manifest.from_element(manifest)
        return cls(m.chain, m.sequence, manifest_digest(manifest))


@dataclass(frozen=True, slots=True)
class Manifest:
    """The fields of a batch manifest (read only from verified XML when trust matters)."""

    batch_id: str
    chain: str
    sequence: int
    signing_time: str
    key_id: str
    count: int
    digest_method: str
    root: bytes
    previous_digest: bytes

    @classmethod
    def from_element(cls, el: etree._Element) -> Manifest:
        if el.tag != MANIFEST_TAG:
            raise ProofError(f"not a batch manifest: {el.tag}", rule="manifest.malformed")

        def text(name: str) -> str:
            value = el.findtext(f"{{{BATCH_NS}}}{name}")
            if value is None:
                raise ProofError(f"manifest lacks {name}", rule="manifest.malformed")
            return value.strip()

        try:
            return cls(
                batch_id=text("BatchId"),
                chain=text("Chain"),
                sequence=int(text("Sequence")),
                signing_time=text("SigningTime"),
                key_id=text("KeyId"),
                count=int(text("Count")),
                digest_method=text("DigestMethod"),
                root=bytes.fromhex(text("Root")),
                previous_digest=bytes.fromhex(text("PreviousDigest")),
            )
        except ValueError as exc:
            raise ProofError(
                f"unreadable manifest field: {exc}", rule="manifest.malformed"
            ) from exc


@dataclass(frozen=True, slots=True)
class ProofData:
    batch_id: str
    chain: str
    sequence: int
    proof: MerkleProof

    @classmethod
    def from_element(cls, el: etree._Element) -> ProofData:
        p = f"{{{PROOF_NS}}}"
        try:
            return cls(
                batch_id=(el.findtext(p + "BatchId") or "").strip(),
                chain=(el.findtext(p + "Chain") or "").strip(),
                sequence=int(el.findtext(p + "Sequence") or ""),
                proof=MerkleProof(
                    index=int(el.findtext(p + "LeafIndex") or ""),
                    count=int(el.findtext(p + "LeafCount") or ""),
                    siblings=tuple(
                        bytes.fromhex((s.text or "").strip())
                        for s in el.iterfind(f"{p}Path/{p}Sibling")
                    ),
                    digest=(el.findtext(p + "DigestMethod") or "").strip(),
                ),
            )
        except ValueError as exc:
            raise ProofError(f"unreadable proof: {exc}", rule="proof.malformed") from exc


@dataclass(frozen=True)
class SignedBatch:
    """A signed manifest plus each event's proof, in batch order."""

    manifest: etree._Element
    manifest_bytes: bytes
    head: ChainHead
    info: Manifest
    tree: MerkleTree

    @property
    def batch_id(self) -> str:
        return self.info.batch_id

    def __len__(self) -> int:
        return self.info.count

    def proof_xml(self, index: int) -> bytes:
        """Event ``index``'s proof as bytes (string formatting over precomputed hex)."""
        cache = self._cache()
        hexes = self.tree.sibling_hex_path(index, cache["paths"])
        path = f"<Sibling>{'</Sibling><Sibling>'.join(hexes)}</Sibling>" if hexes else ""
        return (
            f"{cache['prefix']}<LeafIndex>{index}</LeafIndex>"
            f"{cache['middle']}{path}</Path></BatchProof>"
        ).encode()

    def _cache(self) -> dict:
        """Per-batch constant parts of every proof, built on first use."""
        cache = self.__dict__.get("_proof_cache")
        if cache is None:
            info = self.info
            cache = {
                "prefix": (
                    f'<BatchProof xmlns="{PROOF_NS}" version="{FORMAT_VERSION}">'
                    f"<BatchId>{escape(info.batch_id)}</BatchId>"
                    f"<Chain>{escape(info.chain)}</Chain><Sequence>{info.sequence}</Sequence>"
                ),
                "middle": (
                    f"<LeafCount>{info.count}</LeafCount>"
                    f"<DigestMethod>{info.digest_method}</DigestMethod><Path>"
                ),
                "paths": {},  # (level, node) -> hex of its siblings up to the root
            }
            object.__setattr__(self, "_proof_cache", cache)
        return cache

    def splice_proof(self, event_bytes: bytes, index: int) -> bytes:
        """Event ``index``'s serialised bytes with its proof inserted before the root's end tag.

        The hot path: the publisher serialises each event once and splices the
        proof in as bytes, instead of building and moving XML nodes. The bytes
        must end with the root's end tag (as ``etree.tostring`` produces).
        """
        end = event_bytes.rfind(b"</")
        if end < 0 or not event_bytes.rstrip().endswith(b">"):
            raise ValueError("event bytes must end with the root element's end tag")
        return event_bytes[:end] + self.proof_xml(index) + event_bytes[end:]

    def proof_element(self, index: int) -> etree._Element:
        return etree.fromstring(self.proof_xml(index))

    def attach_proof(self, event: etree._Element, index: int) -> etree._Element:
        """Append event ``index``'s proof as the event's last child (its proof slot)."""
        for old in event.findall(PROOF_TAG):
            event.remove(old)
        event.append(self.proof_element(index))
        return event


class BatchSigner:
    """Signs batches of one chain with one hub key; keeps the chain head between batches.

    Not thread-safe: one signer per chain (per intake partition), as one writer
    owns a chain. Call :meth:`sign_events` (or :meth:`sign_digests`) once per
    batch, in publication order; resume after a restart with
    ``head=ChainHead.after(last_published_manifest)``.
    """

    def __init__(
        self,
        key: SigningKey,
        *,
        chain: str,
        head: ChainHead | None = None,
        settings: SecuritySettings = DEFAULT_SETTINGS,
    ) -> None:
        self._signer = EnvelopedSigner(key, settings)
        self._key = key
        self._settings = settings
        self.head = head or ChainHead.genesis(chain)
        if self.head.chain != chain:
            raise ValueError(f"head belongs to chain {self.head.chain}, not {chain}")

    def sign_events(
        self, events: Sequence[etree._Element], *, batch_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> SignedBatch:
        digest = self._settings.batch_digest
        return self.sign_digests(
            [event_digest(e, digest) for e in events], batch_id=batch_id, now=now
        )

    def sign_digests(
        self, digests: Sequence[bytes], *, batch_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> SignedBatch:
        """Sign a batch given its events' digests (see :func:`event_digest`), in order."""
        tree = MerkleTree(self._settings.batch_digest)
        for d in digests:
            tree.add(d)
        root = tree.finish()
        when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        info = Manifest(
            batch_id=batch_id or str(uuid.uuid4()),
            chain=self.head.chain,
            sequence=self.head.sequence + 1,
            signing_time=when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            key_id=self._key.key_id,
            count=len(tree),
            digest_method=tree.digest,
            root=root,
            previous_digest=self.head.digest,
        )
        signed = self._signer.sign(_manifest_element(info))
        manifest_bytes = etree.tostring(signed, encoding="UTF-8", xml_declaration=True)
        head = ChainHead(info.chain, info.sequence, manifest_digest(signed))
        self.head = head
        return SignedBatch(signed, manifest_bytes, head, info, tree)


def _manifest_element(info: Manifest) -> etree._Element:
    root = etree.Element(MANIFEST_TAG, nsmap={None: BATCH_NS}, version=FORMAT_VERSION)
    for name, value in (
        ("BatchId", info.batch_id),
        ("Chain", info.chain),
        ("Sequence", str(info.sequence)),
        ("SigningTime", info.signing_time),
        ("KeyId", info.key_id),
        ("Count", str(info.count)),
        ("DigestMethod", info.digest_method),
        ("Root", info.root.hex()),
        ("PreviousDigest", info.previous_digest.hex()),
    ):
        etree.SubElement(root, f"{{{BATCH_NS}}}{name}").text = value
    return root


__all__ = [
    "BATCH_NS",
    "PROOF_NS",
    "BatchSigner",
    "ChainHead",
    "Manifest",
    "SignedBatch",
    "canonical",
    "event_digest",
    "manifest_digest",
]
