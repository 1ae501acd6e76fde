"""The seam's one translation point: each client library's errors become a BrokerError whose
fields say what to do, the original kept as the cause; the retry asks again only while Kafka
answers "moving"; the CLI's line for an error that escaped. Real library error objects."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException
from kafka import errors as python_errors

from hub.errors import BrokerError, HubError
from hub.kafka.errors import broker_errors, client_error_line, retry_while_moving, translate

# Short enough for the unit tier, long enough that a retry loop asks more than once.
PAUSE_S = 0.01


def _raised(exc: Exception, **context: str) -> BrokerError:
    with pytest.raises(BrokerError) as info, broker_errors("reading the test", **context):
        raise exc
    assert info.value.__cause__ is exc
    return info.value


class TestLibrdkafka:
    def test_coordinator_moving_is_retriable_with_code_and_name(self) -> None:
        error = _raised(KafkaException(KafkaError(KafkaError.NOT_COORDINATOR)), topic="t.intake")
        assert (error.code, error.name, error.retriable, error.fatal, error.topic) == (
            16, "NOT_COORDINATOR", True, False, "t.intake")
        assert str(error).startswith("Kafka reading the test failed: ")

    def test_fatal_flag_and_the_produce_fatal_code_are_both_fatal(self) -> None:
        flagged = _raised(KafkaException(KafkaError(KafkaError.INVALID_PRODUCER_EPOCH,
                                                    fatal=True)))
        produce = _raised(KafkaException(KafkaError(KafkaError._FATAL)))
        assert flagged.fatal and produce.fatal
        assert "fenced" in str(produce) and not produce.retriable

    def test_local_timeout_is_retriable_an_acl_refusal_is_not(self) -> None:
        assert _raised(KafkaException(KafkaError(KafkaError._TIMED_OUT))).retriable
        refused = _raised(KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED)))
        assert not refused.retriable and refused.code == 29


class TestKafkaPython:
    def test_broker_response_keeps_its_protocol_code_and_name(self) -> None:
        error = _raised(python_errors.NotCoordinatorError("moved"))
        assert (error.code, error.name, error.retriable, error.fatal) == (
            16, "NOT_COORDINATOR", True, False)

    def test_client_side_error_is_named_by_its_class(self) -> None:
        error = _raised(python_errors.KafkaConnectionError("refused"))
        assert (error.code, error.name, error.retriable) == (None, "KafkaConnectionError", True)
        assert not _raised(python_errors.CommitFailedError("rebalanced")).retriable


def test_other_errors_pass_unchanged() -> None:
    with pytest.raises(ValueError), broker_errors("reading"):
        raise ValueError("not Kafka's")
    assert translate(OSError("disk"), "reading") is None
    assert isinstance(BrokerError("x"), HubError)


class TestRetryWhileMoving:
    def test_asks_again_while_the_coordinator_moves(self) -> None:
        calls: list[int] = []

        def committed() -> int:
            calls.append(1)
            if len(calls) < 3:
                raise KafkaException(KafkaError(KafkaError.COORDINATOR_LOAD_IN_PROGRESS))
            return 42

        assert retry_while_moving(committed, "reading", deadline_s=5.0, pause_s=PAUSE_S) == 42
        assert len(calls) == 3

    def test_a_refusal_fails_at_once(self) -> None:
        calls: list[int] = []

        def refused() -> None:
            calls.append(1)
            raise KafkaException(KafkaError(KafkaError.GROUP_AUTHORIZATION_FAILED))

        with pytest.raises(BrokerError) as info:
            retry_while_moving(refused, "reading", deadline_s=5.0, pause_s=PAUSE_S)
        assert len(calls) == 1 and info.value.code == 30

    def test_moving_for_longer_than_the_deadline_fails(self) -> None:
        calls: list[int] = []

        def moving() -> None:
            calls.append(1)
            raise python_errors.NotLeaderForPartitionError("electing")

        with pytest.raises(BrokerError) as info:
            retry_while_moving(moving, "reading", deadline_s=0.05, pause_s=PAUSE_S)
        assert len(calls) > 1 and info.value.retriable


class TestClientErrorLine:
    def test_no_answer_says_what_to_check(self) -> None:
        for exc in (python_errors.KafkaConnectionError("refused"),
                    KafkaException(KafkaError(KafkaError._TRANSPORT))):
            assert "did not answer" in client_error_line(exc)

    def test_a_refusal_is_named(self) -> None:
        line = client_error_line(python_errors.TopicAuthorizationFailedError("mhub.identity"))
        assert line.startswith("Kafka refused: TOPIC_AUTHORIZATION_FAILED: ")
        assert "mhub.identity" in line

    def test_not_a_kafka_error(self) -> None:
        assert client_error_line(RuntimeError("boom")) == ""
