"""Stage 1 starts without kafka-python: every Airflow task of a source is a new process,
and kafka-python's import alone cost about 150 ms of CPU per start (the stages use
librdkafka; kafka-python serves tools, topic administration and the agency library)."""

from __future__ import annotations

import subprocess
import sys

from hub.config import PROJECT_ROOT


def test_the_stage1_driver_does_not_load_kafka_python() -> None:
    code = ("import sys, hub.intake.stage; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kafka'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "[]"


def test_clients_still_make_kafka_python_clients() -> None:
    from kafka import KafkaProducer

    from hub.config import load_settings
    from hub.kafka.clients import producer

    client = producer(load_settings({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}),
                      api_version=(3, 0), max_block_ms=1)
    try:
        assert isinstance(client, KafkaProducer)
    finally:
        client.close(timeout=0)
