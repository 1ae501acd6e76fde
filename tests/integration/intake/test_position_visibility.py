"""A run ends only once its last position can be read back.

Every source's position is on the one partition of the connector-state topic, and a
``read_committed`` reader stops at the partition's last stable offset: another source's
transaction still open there hides every position written after it began. A
1,000,000-record bench run with three sources at once took one partner page twice (its
next run read the position before the last, stage 2 dropped 955 replays). Here another
source's transaction stays open (real broker, real librdkafka producer) while a stage-1
run commits a page: the run's position is hidden, so ``settle`` must wait until the other
transaction ends, then find it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import Producer

from connectors.base import Page
from hub.config import Settings
from hub.intake.positions import encode_position, load_positions
from hub.intake.stage import IntakeRun
from hub.kafka.clients import librdkafka_producer_config
from hub.runs.summary import SourceRunSummary
from tests.support.exchange import isolated_settings, source

TIMEOUT_S = 30


def test_run_waits_until_its_position_can_be_read_back(
    tmp_path: Path, kafka_settings: Settings, unique_name: Callable[[str], str]
) -> None:
    settings = isolated_settings(tmp_path, kafka_settings, unique_name)
    run = IntakeRun.open(source("interior", "interior", "http://127.0.0.1:9/unused"),
                         settings, SourceRunSummary("interior"))
    topic = run.topics.connector_state
    other = Producer(librdkafka_producer_config(settings, unique_name("other-source")))
    other.init_transactions(TIMEOUT_S)
    other.begin_transaction()
    other.produce(topic, key=b"other-source", value=encode_position({"page": 7}))
    other.flush(TIMEOUT_S)  # sent, not committed: the stable offset stops before it

    with run.stack:
        run.commit(Page([], {"page": 1}))
        assert "interior" not in load_positions(settings, topic)  # committed, yet hidden
        settled = threading.Thread(target=run.settle)
        settled.start()
        settled.join(timeout=1.0)
        assert settled.is_alive(), "the run ended while its position could not be read"
        other.abort_transaction(TIMEOUT_S)
        settled.join(timeout=TIMEOUT_S)
        assert not settled.is_alive()

    assert load_positions(settings, topic)["interior"] == {"page": 1}
    assert run.summary.notices == []
