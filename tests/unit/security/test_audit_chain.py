"""Audit chain: removed, reordered, altered or replaced batches are found and named."""

from __future__ import annotations

import pytest
from lxml import etree

from security.audit_chain import verify_chain
from security.batch import BatchSigner, ChainHead, SignedBatch
from tests.support.security_kit import make_event


def run_chain(key, n: int, chain: str = "intake-0", per_batch: int = 3):
    """n batches of one chain, with their published events (proofs attached)."""
    signer = BatchSigner(key, chain=chain)
    batches: list[SignedBatch] = []
    events: list[bytes] = []
    for b in range(n):
        evs = [make_event(b * per_batch + i) for i in range(per_batch)]
        batch = signer.sign_events(evs, batch_id=f"{chain}-b{b}")
        for i, e in enumerate(evs):
            batch.attach_proof(e, i)
            events.append(etree.tostring(e))
        batches.append(batch)
    return batches, events


@pytest.fixture
def chain(pki):
    return run_chain(pki.hub_signing_key(), 6)


def rules(report) -> list[tuple[str, str, int | None]]:
    return [(p.rule, p.batch_id, p.position) for p in report.problems]


class TestIntact:
    def test_whole_chain_with_events(self, chain, trust) -> None:
        batches, events = chain
        report = verify_chain([b.manifest_bytes for b in batches], trust, events=events)
        assert report.ok, report.lines()
        assert report.manifests_checked == 6 and report.events_checked == 18
        (summary,) = report.chains
        assert (summary.first_sequence, summary.last_sequence) == (0, 5)
        assert summary.last_batch_id == "intake-0-b5"

    def test_interleaved_chains(self, pki, trust) -> None:
        a, _ = run_chain(pki.hub_signing_key(), 3, chain="p0")
        b, _ = run_chain(pki.hub_signing_key(), 3, chain="p1")
        mixed = [m.manifest for pair in zip(a, b, strict=True) for m in pair]
        report = verify_chain(mixed, trust)
        assert report.ok and len(report.chains) == 2

    def test_starting_mid_chain_when_allowed(self, chain, trust) -> None:
        batches, _ = chain
        report = verify_chain([b.manifest for b in batches[2:]], trust, require_genesis=False)
        assert report.ok


class TestBroken:
    def test_removed_batch(self, chain, trust) -> None:
        batches, _ = chain
        kept = batches[:2] + batches[3:]
        report = verify_chain([b.manifest for b in kept], trust)
        assert rules(report) == [("chain.removed", "intake-0-b3", 2)]
        assert "2..2" in report.problems[0].message and "intake-0-b1" in report.problems[0].message

    def test_removed_first_batch(self, chain, trust) -> None:
        batches, _ = chain
        report = verify_chain([b.manifest for b in batches[1:]], trust)
        assert rules(report) == [("chain.removed", "intake-0-b1", 0)]

    def test_reordered_batches(self, chain, trust) -> None:
        batches, _ = chain
        order = [batches[0], batches[2], batches[1], *batches[3:]]
        report = verify_chain([b.manifest for b in order], trust)
        assert rules(report) == [("chain.reordered", "intake-0-b1", 2)]

    def test_altered_manifest(self, chain, trust) -> None:
        batches, _ = chain
        data = [b.manifest_bytes for b in batches]
        data[4] = data[4].replace(b"<Count>3</Count>", b"<Count>2</Count>")
        report = verify_chain(data, trust)
        assert ("chain.altered", "intake-0-b4", 4) in rules(report)
        assert "sig.invalid" in report.problems[0].message

    def test_replaced_manifest_breaks_the_link(self, pki, chain, trust) -> None:
        """A validly signed stand-in (a forked signer) for batch 2: batch 3's link breaks."""
        batches, _ = chain
        fork = BatchSigner(pki.hub_signing_key(), chain="intake-0",
                           head=ChainHead.after(batches[1].manifest))
        stand_in = fork.sign_events([make_event(99)], batch_id="intake-0-forged")
        order = [*batches[:2], stand_in, *batches[3:]]
        report = verify_chain([b.manifest for b in order], trust)
        assert rules(report) == [("chain.broken-link", "intake-0-b3", 3)]

    def test_duplicate_sequence(self, chain, trust) -> None:
        batches, _ = chain
        report = verify_chain([b.manifest for b in [*batches, batches[5]]], trust)
        assert rules(report) == [("chain.duplicate", "intake-0-b5", 6)]
        assert "same manifest" in report.problems[0].message

    def test_altered_event(self, chain, trust) -> None:
        batches, events = chain
        events[7] = events[7].replace(b"KZ-ALA-01", b"KZ-NUR-01")
        report = verify_chain([b.manifest for b in batches], trust, events=events)
        assert rules(report) == [("proof.invalid", "intake-0-b2", 7)]

    def test_event_of_unknown_batch(self, chain, trust) -> None:
        batches, events = chain
        report = verify_chain([b.manifest for b in batches[:5]], trust, events=events[-1:])
        assert rules(report) == [("proof.unknown-batch", "intake-0-b5", 0)]

    def test_report_lines_name_the_failure(self, chain, trust) -> None:
        batches, _ = chain
        report = verify_chain([b.manifest for b in batches[:2] + batches[3:]], trust)
        text = "\n".join(report.lines())
        assert "FAIL chain.removed batch intake-0-b3 at position 2" in text
        assert text.endswith("FAILED: 1 problem(s)")
