"""The audit chain: signed batch manifests linked by digest, checked end to end.

Every manifest names its chain (one writer, e.g. one intake partition), its
sequence number and the digest of the chain's previous manifest
(:mod:`security.batch`). :func:`verify_chain` reads manifests in publication
order (several chains may be interleaved, as on the batches topic) and reports,
naming the batch id and its position in the input:

==========================  ======================================================
``chain.altered``           a manifest's signature fails (its content was changed)
``chain.reordered``         a manifest appears after one with a higher sequence
``chain.removed``           sequence numbers are missing (before the first seen
                            one too, unless ``require_genesis=False``)
``chain.duplicate``         two manifests claim the same place in a chain
``chain.broken-link``       consecutive manifests whose ``PreviousDigest`` does not
                            match: the predecessor was replaced
``proof.*`` / ``sig.*``     an event given in ``events`` fails against its batch
==========================  ======================================================

Limit, as for every hash chain: dropping the *newest* manifests (truncation)
cannot be seen from the chain alone; compare the last sequence in the report
with the one the publisher last reported (the batches topic's end offsets).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from lxml import etree

from security.batch import (
    GENESIS_DIGEST,
    PROOF_TAG,
    Manifest,
    ProofData,
)
from security.batch_verifier import BatchVerifier
from security.errors import UnsafeXmlError, VerificationError
from security.safe_xml import parse_untrusted
from security.trust import TrustStore


@dataclass(frozen=True, slots=True)
class ChainProblem:
    rule: str
    message: str
    batch_id: str = ""
    position: int | None = None  # index in the input stream (manifest or event)
    chain: str = ""

    def __str__(self) -> str:
        where = f" at position {self.position}" if self.position is not None else ""
        batch = f" batch {self.batch_id}" if self.batch_id else ""
        return f"{self.rule}{batch}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ChainSummary:
    chain: str
    manifests: int
    first_sequence: int
    last_sequence: int
    last_batch_id: str
    events_in_batches: int


@dataclass(frozen=True)
class ChainReport:
    manifests_checked: int
    events_checked: int
    chains: tuple[ChainSummary, ...]
    problems: tuple[ChainProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [
            f"chain {c.chain}: {c.manifests} manifests, sequence {c.first_sequence}.."
            f"{c.last_sequence}, {c.events_in_batches} events, last batch {c.last_batch_id}"
            for c in self.chains
        ]
        out.append(f"events checked against their batch: {self.events_checked}")
        out += [f"FAIL {p}" for p in self.problems]
        out.append("OK" if self.ok else f"FAILED: {len(self.problems)} problem(s)")
        return out


@dataclass(frozen=True, slots=True)
class _Link:
    position: int
    info: Manifest
    digest: bytes


def verify_chain(
    manifests: Iterable[etree._Element | bytes],
    trust: TrustStore,
    *,
    events: Iterable[etree._Element | bytes] = (),
    require_genesis: bool = True,
) -> ChainReport:
    """Check signatures and links of manifests (in publication order), then events."""
    verifier = BatchVerifier(trust)
    problems: list[ChainProblem] = []
    links: dict[str, list[_Link]] = defaultdict(list)
    by_batch: dict[str, etree._Element] = {}
    checked = 0
    for position, item in enumerate(manifests):
        checked += 1
        try:
            element = parse_untrusted(item) if isinstance(item, bytes) else item
            verified = verifier.verify_manifest(element)
        except (VerificationError, UnsafeXmlError) as exc:
            problems.append(ChainProblem(
                "chain.altered", f"manifest does not verify ({exc.rule}): {exc}",
                _claimed_batch_id(item), position, _claimed_chain(item),
            ))
            continue
        info = verified.info
        links[info.chain].append(_Link(position, info, verified.digest))
        by_batch[info.batch_id] = element

    summaries = []
    for chain, chain_links in links.items():
        problems += _check_links(chain, chain_links, require_genesis)
        ordered = sorted(chain_links, key=lambda link: link.info.sequence)
        summaries.append(ChainSummary(
            chain, len(chain_links), ordered[0].info.sequence, ordered[-1].info.sequence,
            ordered[-1].info.batch_id, sum(link.info.count for link in chain_links),
        ))

    events_checked = 0
    for position, item in enumerate(events):
        events_checked += 1
        problems += _check_event(verifier, by_batch, position, item)

    problems.sort(key=lambda p: (p.chain, p.position if p.position is not None else -1))
    return ChainReport(checked, events_checked, tuple(summaries), tuple(problems))


def _check_links(chain: str, links: list[_Link], require_genesis: bool) -> list[ChainProblem]:
    problems = []
    highest: _Link | None = None
    for link in links:  # publication order
        if highest is not None and link.info.sequence < highest.info.sequence:
            problems.append(ChainProblem(
                "chain.reordered",
                f"sequence {link.info.sequence} published after sequence "
                f"{highest.info.sequence} (batch {highest.info.batch_id})",
                link.info.batch_id, link.position, chain,
            ))
        if highest is None or link.info.sequence > highest.info.sequence:
            highest = link
    ordered = sorted(links, key=lambda link: link.info.sequence)
    first = ordered[0]
    if first.info.sequence != 0 and require_genesis:
        problems.append(ChainProblem(
            "chain.removed",
            f"chain starts at sequence {first.info.sequence}: batches 0.."
            f"{first.info.sequence - 1} are missing",
            first.info.batch_id, first.position, chain,
        ))
    if first.info.sequence == 0 and first.info.previous_digest != GENESIS_DIGEST:
        problems.append(ChainProblem(
            "chain.broken-link", "first manifest does not start from the genesis digest",
            first.info.batch_id, first.position, chain,
        ))
    for prev, cur in pairwise(ordered):
        gap = cur.info.sequence - prev.info.sequence
        if gap == 0:
            same = prev.digest == cur.digest
            problems.append(ChainProblem(
                "chain.duplicate",
                f"sequence {cur.info.sequence} appears twice"
                + (" (same manifest)" if same else f" (also batch {prev.info.batch_id})"),
                cur.info.batch_id, cur.position, chain,
            ))
        elif gap > 1:
            problems.append(ChainProblem(
                "chain.removed",
                f"batches with sequence {prev.info.sequence + 1}..{cur.info.sequence - 1} "
                f"are missing between batch {prev.info.batch_id} and this one",
                cur.info.batch_id, cur.position, chain,
            ))
        elif cur.info.previous_digest != prev.digest:
            problems.append(ChainProblem(
                "chain.broken-link",
                f"previous digest does not match batch {prev.info.batch_id} "
                f"(sequence {prev.info.sequence}): it was replaced",
                cur.info.batch_id, cur.position, chain,
            ))
    return problems


def _check_event(
    verifier: BatchVerifier,
    by_batch: dict[str, etree._Element],
    position: int,
    item: etree._Element | bytes,
) -> list[ChainProblem]:
    try:
        event = parse_untrusted(item) if isinstance(item, bytes) else item
        proof_el = event.find(PROOF_TAG)
        if proof_el is None:
            return [ChainProblem("proof.missing", "event carries no batch proof",
                                 position=position)]
        data = ProofData.from_element(proof_el)
        manifest = by_batch.get(data.batch_id)
        if manifest is None:
            return [ChainProblem("proof.unknown-batch",
                                 "no verified manifest for the event's batch",
                                 data.batch_id, position, data.chain)]
        verifier.verify_event(event, manifest)
    except (VerificationError, UnsafeXmlError) as exc:
        return [ChainProblem(exc.rule, str(exc), getattr(exc, "batch_id", "") or "", position)]
    return []


def _claimed(item: etree._Element | bytes, name: str) -> str:
    """A field of an unverified manifest, only to say *which* one failed."""
    try:
        element = parse_untrusted(item) if isinstance(item, bytes) else item
        return (element.findtext(f"{{urn:kz:mhub:batch:1}}{name}") or "").strip()
    except UnsafeXmlError:
        return ""


def _claimed_batch_id(item: etree._Element | bytes) -> str:
    return _claimed(item, "BatchId")


def _claimed_chain(item: etree._Element | bytes) -> str:
    return _claimed(item, "Chain")
