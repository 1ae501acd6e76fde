"""Identity merges flushed by a transaction that then died are published once, by the retry.

A real stage-1 process (``HUB_CRASH_AT=stage1.before-commit``: SIGKILL after the
registry's flush, before Kafka's commit) resolves a page whose last record
merges two persons; the retry's next page carries the merge; an independent
``read_committed`` reader counts merge notices on the identity topic.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from kafka import TopicPartition

from hub.config import PROJECT_ROOT, Settings
from hub.intake.commit import commit_page
from hub.intake.identity.outbox import RegistryOutbox
from hub.intake.normalise import Normaliser
from hub.intake.page import PageOutcome
from hub.intake.stage import registry_url, transactional_id
from hub.kafka.clients import consumer
from hub.kafka.topics import topics_for
from hub.kafka.transactions import TransactionalProducer
from hub.keys import open_pki, trust_store
from hub.model.notices import NoticeSealer, verify_notice
from hub.runs.summary import SourceRunSummary
from tests.support.exchange import isolated_settings
from tests.support.faultkit import hub_env
from tests.support.reliability import record_outcome

SOURCE = "interior"
PROCESS_TIMEOUT_S = 120

# One page, as stage 1 would commit it: a person known by IIN, another by passport,
# then a record carrying both (the merge), committed with commit_page.
_PAGE = """
from hub.config import load_settings
from hub.intake.commit import commit_page
from hub.intake.identity.model import Document, PersonIdentifiers
from hub.intake.identity.outbox import RegistryOutbox
from hub.intake.normalise import Normaliser, identity_value
from hub.intake.page import PageOutcome
from hub.intake.stage import registry_url, transactional_id
from hub.kafka.topics import topics_for
from hub.kafka.transactions import TransactionalProducer
from hub.keys import open_pki
from hub.model.notices import NoticeSealer
from hub.runs.summary import SourceRunSummary

settings = load_settings()
norm = Normaliser.open(registry_url(settings))
norm.registry.source = "interior"
doc = (Document("P", "KAZ", "N1234567"),)
norm.registry.resolve(PersonIdentifiers(iin="900101300123", birth_date="1990-01-01"))
norm.registry.resolve(PersonIdentifiers(documents=doc, birth_date="1990-01-01"))
both = norm.registry.resolve(
    PersonIdentifiers(iin="900101300123", documents=doc, birth_date="1990-01-01"))
assert both.merges
outcome = PageOutcome(identity=[identity_value(m) for m in both.merges])
producer = TransactionalProducer.open(settings, transactional_id(settings, "interior"),
                                      role="stage1")
commit_page(producer, topics_for(settings), "interior", outcome, {"page": 1},
            before_commit=norm.flush, summary=SourceRunSummary("interior"),
            seal=NoticeSealer(open_pki(settings).hub_signing_key),
            merges=RegistryOutbox(norm.registry))
"""


def _merge_notices(settings: Settings) -> Counter[tuple[str, str]]:
    """Merge notices on the identity topic, each checked against the hub signing trust."""
    trust = trust_store(settings)
    topic = topics_for(settings).identity
    cons = consumer(settings=settings, consumer_timeout_ms=3000)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(cons.partitions_for_topic(topic) or [])]
        cons.assign(tps)
        cons.seek_to_beginning(*tps)
        seen: Counter[tuple[str, str]] = Counter()
        for msg in cons:
            notice = verify_notice(msg.value, trust).body
            if notice.get("kind") == "merge":
                seen[(notice["survivor"], notice["absorbed"])] += 1
        return seen
    finally:
        cons.close()


def test_merge_flushed_by_a_killed_transaction_is_published_once(
    tmp_path: Path, kafka_settings: Settings, unique_name: Callable[[str], str]
) -> None:
    settings = isolated_settings(tmp_path, kafka_settings, unique_name, partitions=2)
    env = hub_env(settings, tmp_path / "sources.toml", "stage1.before-commit:1")
    proc = subprocess.run([sys.executable, "-c", _PAGE], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert _merge_notices(settings) == Counter()  # nothing committed, merge in the registry

    norm = Normaliser.open(registry_url(settings))  # the retry: a new process, same source
    norm.registry.source = SOURCE
    unpublished = RegistryOutbox(norm.registry).unpublished()
    assert len(unpublished) == 1
    producer = TransactionalProducer.open(settings, transactional_id(settings, SOURCE),
                                          role="stage1")
    seal = NoticeSealer(open_pki(settings).hub_signing_key)
    for page in (2, 3):  # the next page carries it; the one after must not repeat it
        commit_page(producer, topics_for(settings), SOURCE, PageOutcome(), {"page": page},
                    before_commit=norm.flush, summary=SourceRunSummary(SOURCE),
                    seal=seal, merges=RegistryOutbox(norm.registry))
    producer.close()
    notice = unpublished[0]
    assert _merge_notices(settings) == Counter({(notice["survivor"], notice["absorbed"]): 1})
    assert RegistryOutbox(norm.registry).unpublished() == []
    norm.close()
    record_outcome(
        "identity", "merge flushed to the registry, stage 1 SIGKILLed before the Kafka commit",
        "the merge was sent by the next page's transaction and appears exactly once on the "
        "identity topic (before: never published)",
    )
