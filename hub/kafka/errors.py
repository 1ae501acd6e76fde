"""Both Kafka client libraries' errors become the hub's :class:`~hub.errors.BrokerError` here.

The one translation point of the seam: every call into a client library runs inside
:func:`broker_errors` (or :func:`retry_while_moving`, which asks again while the answer is
"moving"), so the rest of the hub catches only its own hierarchy and reads the fields
instead of digging into a library's exception::

    librdkafka    KafkaException(KafkaError)   -> BrokerError(code, name, fatal, retriable, topic)
                  KafkaError of a message       -> the same (message_error)
    kafka-python  kafka.errors.KafkaError       -> BrokerError(errno, name, retriable, topic)
    anything else                               -> passes unchanged

The original stays as ``__cause__`` (``raise ... from exc``). kafka-python is not imported
here: an error can only be one of its errors when a kafka-python client was made, which
loaded it (stage 1 never does: tests/unit/kafka/test_stage_imports.py).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from confluent_kafka import KafkaError, KafkaException

from hub.errors import BrokerError

T = TypeVar("T")

# Kafka protocol error codes (the same numbers in both libraries) meaning that a
# partition's leader or a group's or transaction's coordinator is moving or loading (a
# broker restarted, a topic created a moment ago): the same request succeeds shortly.
LEADER_NOT_AVAILABLE = 5
NOT_LEADER_OR_FOLLOWER = 6
COORDINATOR_LOAD_IN_PROGRESS = 14
COORDINATOR_NOT_AVAILABLE = 15
NOT_COORDINATOR = 16
MOVING = frozenset({LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, COORDINATOR_LOAD_IN_PROGRESS,
                    COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR})
# Refusals by the cluster's ACLs (the same in both libraries): waiting does not help.
TOPIC_AUTHORIZATION_FAILED = 29
GROUP_AUTHORIZATION_FAILED = 30
REFUSED = frozenset({TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED})
# librdkafka's own "no answer in time" and "connection dropped": transient by nature, though
# librdkafka flags them retriable only inside its transactional calls.
_LOCAL_TRANSIENT = frozenset({KafkaError._TIMED_OUT, KafkaError._TRANSPORT})
# Error names that mean the cluster did not answer at all (both libraries): the CLI says so
# and what to check instead of "Kafka refused".
UNREACHABLE = frozenset({"_TRANSPORT", "_ALL_BROKERS_DOWN", "_TIMED_OUT", "_RESOLVE",
                         "KafkaConnectionError", "KafkaTimeoutError", "NoBrokersAvailable"})
# Pause between asks while a leader or coordinator moves: a failover takes seconds, a
# loading coordinator a fraction of one; five asks a second cost the broker nothing.
RETRY_PAUSE_S = 0.2
_FENCED_HINT = " (fatal: fenced by a newer instance of this transactional id, or lost)"


def translate(
    exc: BaseException, doing: str, *, topic: str | None = None, message: str | None = None
) -> BrokerError | None:
    """The :class:`BrokerError` for a client library's error (None when ``exc`` is none);
    its text is ``Kafka <doing> failed: <the library's reason>`` unless ``message`` is given."""
    if isinstance(exc, KafkaException):
        err = exc.args[0] if exc.args else None
        if isinstance(err, KafkaError):
            return message_error(err, doing, topic=topic, message=message)
        return BrokerError(message or f"Kafka {doing} failed: {exc}", topic=topic)
    python_errors = sys.modules.get("kafka.errors")
    if python_errors is not None and isinstance(exc, python_errors.KafkaError):
        errno = getattr(exc, "errno", None)
        name = str(getattr(exc, "message", None) or "") if errno is not None else ""
        return BrokerError(
            message or f"Kafka {doing} failed: {exc}",
            retriable=bool(exc.retriable),
            topic=topic,
            code=errno,
            name=name or type(exc).__name__,
        )
    return None


def message_error(
    err: KafkaError, doing: str, *, topic: str | None = None, message: str | None = None
) -> BrokerError:
    """A librdkafka error value (a message's ``error()``, an exception's argument)."""
    code = err.code()
    # produce() raises fatal errors with the _FATAL code only, without the fatal flag.
    fatal = bool(err.fatal()) or code == KafkaError._FATAL
    reason = err.str()
    if fatal and "fenced" not in reason:
        reason += _FENCED_HINT
    return BrokerError(
        message or f"Kafka {doing} failed: {reason}",
        fatal=fatal,
        retriable=bool(err.retriable()) or code in MOVING or code in _LOCAL_TRANSIENT,
        topic=topic,
        code=code,
        name=err.name(),
    )


@contextlib.contextmanager
def broker_errors(doing: str, *, topic: str | None = None) -> Iterator[None]:
    """Client-library errors raised inside the block as :class:`BrokerError`; others as raised."""
    try:
        yield
    except Exception as exc:
        error = translate(exc, doing, topic=topic)
        if error is None:
            raise
        raise error from exc


def retry_while_moving(
    call: Callable[[], T],
    doing: str,
    *,
    deadline_s: float,
    topic: str | None = None,
    pause_s: float = RETRY_PAUSE_S,
) -> T:
    """``call()``, asked again while Kafka answers with a retriable error (a leader or
    coordinator moving, no answer in time) until ``deadline_s`` has passed; any other error
    at once. Errors come out as :class:`BrokerError`."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            with broker_errors(doing, topic=topic):
                return call()
        except BrokerError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
        time.sleep(pause_s)


def client_error_line(exc: BaseException) -> str:
    """One line for a client library's error that escaped a command ("" for any other
    error): that the cluster did not answer and what to check, or what it refused."""
    error = translate(exc, "a request")
    if error is None:
        return ""
    if error.name in UNREACHABLE:
        from hub.config import load_settings
        from hub.kafka.probe import unreachable

        return unreachable(load_settings(), exc)
    text = str(exc).strip()
    return f"Kafka refused: {error.name}: {text.splitlines()[0][:400] if text else 'failed'}"
