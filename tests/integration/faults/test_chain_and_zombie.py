"""Stage 2's audit chain after a crash loop of aborts, and a zombie writer fenced.

Chain: a crash loop before commit leaves aborted manifests (and abort markers)
after the last committed one. 300 such transactions are aborted on one batches
partition by the stage's own transactional producer, each carrying the
manifest the crashed run had signed; the next real run must link to the last
*committed* manifest, and ``mhub verify --kafka`` must accept the chain.

Zombie: two stage-2 writers of one partition (a run that hung and a new one).
The second's ``init_transactions`` fences the first, whose next commit fails
with a clear :class:`~hub.errors.BrokerError`; its chain head is restored and
nothing it did is visible; the survivor publishes everything once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from hub.config import PROJECT_ROOT
from hub.errors import BrokerError
from hub.intake.stage import run_source
from hub.kafka.topics import topics_for
from hub.kafka.transactions import TransactionalProducer
from hub.publish.chain import open_batch_signer
from hub.publish.stage import PartitionRun, group_id, publish_partition, transactional_id
from hub.runs.summary import PublishRunSummary
from hub.sources import load_sources
from tests.integration.faults.conftest import Hub
from tests.support.faultkit import Offsets, check_exactly_once, hub_env
from tests.support.reliability import record_outcome

ABORTS = 300


class Aborted(Exception):
    """The crash loop's failure: raised inside the transaction so it aborts."""


def _intake_all(hub: Hub) -> None:
    for source in load_sources(hub.sources):
        assert run_source(source, hub.settings).state == "success"


def _verify_kafka(hub: Hub) -> subprocess.CompletedProcess[str]:
    topic = topics_for(hub.settings).batches
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", "verify", "--kafka", topic],
        env=hub_env(hub.settings, hub.sources),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestChainAfterAborts:
    def test_chain_resumes_after_hundreds_of_aborted_transactions(
        self, make_hub: Callable[..., Hub]
    ) -> None:
        hub = make_hub(interior=120, partner=0, batch_size=40)
        settings, topics = hub.settings, topics_for(hub.settings)
        # A first run: partition 0's chain has committed manifests.
        _intake_all(hub)
        assert publish_partition(0, settings).batches > 0
        # The crash loop: each run signs its next manifest and aborts before commit.
        producer = TransactionalProducer.open(settings, transactional_id(settings, 0), role="t")
        signer = open_batch_signer(settings, topics, 0)
        head = signer.head
        t0 = time.monotonic()
        for i in range(ABORTS):
            signed = signer.sign_digests([i.to_bytes(32, "big")])
            with pytest.raises(Aborted), producer.transaction() as txn:
                txn.send(topics.batches, signed.manifest_bytes, partition=0, key=b"crash")
                producer.close()  # flush: on the broker before the abort, as a crashed run's
                raise Aborted
            signer.head = head  # what a restarted run would know: the committed head
        producer.close()
        abort_s = time.monotonic() - t0
        offsets = Offsets(settings)
        try:
            assert offsets.committed_end(topics.batches, 0) > 2 * ABORTS  # records + markers
        finally:
            offsets.close()
        hub.sim.grow("interior", 80)  # the agency publishes more; the next run publishes it
        _intake_all(hub)
        summary = publish_partition(0, settings)
        assert summary.batches > 0 and summary.state == "success"
        assert publish_partition(1, settings).state == "success"
        proc = _verify_kafka(hub)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        count, out = check_exactly_once(settings, hub.sim, hub.feeds)
        record_outcome(
            "audit chain",
            f"{ABORTS} aborted stage-2 transactions (manifests signed, then aborted) "
            "on one batches partition, then a real publish",
            f"next manifest links to the last committed one; `mhub verify --kafka` passes "
            f"on {len(out.manifests)} manifests; {count} ({abort_s:.1f} s of aborts)",
        )


class TestZombieWriter:
    def test_second_writer_fences_the_first(self, make_hub: Callable[..., Hub]) -> None:
        hub = make_hub(interior=120, partner=0, batch_size=20)
        settings, topics = hub.settings, topics_for(hub.settings)
        _intake_all(hub)
        zombie = PartitionRun.open(settings, topics, 0, PublishRunSummary(partition=0))
        try:
            batch = zombie.reader.poll(4, 5.0)
            assert batch, "the zombie read nothing to publish"
            head = zombie.publisher.signer.head
            # A new run of partition 0 starts while the first still holds its batch.
            survivor = PartitionRun.open(settings, topics, 0, PublishRunSummary(partition=0))
            survivor.stack.close()
            with pytest.raises(BrokerError) as err:
                zombie.publisher.publish(batch, zombie.reader.group_metadata)
            assert zombie.publisher.signer.head == head, "the chain head was not restored"
        finally:
            zombie.stack.close()
        message = str(err.value)
        assert "fenced" in message, message
        for p in range(settings.intake_partitions):
            assert publish_partition(p, settings).state == "success"
        proc = _verify_kafka(hub)
        assert proc.returncode == 0, proc.stdout[-3000:]
        count, _ = check_exactly_once(settings, hub.sim, hub.feeds)
        assert group_id(settings)  # one group: the survivor resumed from the committed offset
        record_outcome(
            "zombie writer",
            "two stage-2 writers of one partition; the first commits after the second started",
            f"first fenced: BrokerError '{message[:90]}'; chain head restored; {count}",
        )
