"""Shared fixtures: the real local Kafka broker and unique topics per test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from hub.config import Settings, load_settings
from hub.kafka.topics import TopicSpec, ensure_topics
from tests.support.environment import keep_broker
from tests.support.loopback import LoopbackServer, QuietHandler
from tests.support.names import SESSION_PREFIX, delete_session_topics


@pytest.fixture(scope="session")
def kafka_settings(request: pytest.FixtureRequest) -> Iterator[Settings]:
    """The real broker: an external one, a running local one, or one started here."""
    from infra.kafka import broker

    settings = load_settings()
    started_here = False
    if not settings.external_kafka and not broker.answers("127.0.0.1", 19092):
        if _is_worker(request.config):  # one worker would stop it under the others
            why = ("under pytest-xdist the broker must already run: `make test` starts it, "
                   "or `make kafka-start`")
            request.session.shouldstop = why  # xdist stops every worker on it
            pytest.fail(why, pytrace=False)
        broker.start(settings)
        started_here = True
    yield settings
    delete_session_topics(settings, say=lambda line: _on_terminal(request.config, line))
    if started_here and not keep_broker():
        broker.stop(settings)


def _is_worker(config: pytest.Config) -> bool:
    """A pytest-xdist worker (``make test`` runs the integration tier on two)."""
    return hasattr(config, "workerinput")


def _on_terminal(config: pytest.Config, line: str) -> None:
    """Past output capture, which would otherwise swallow a session fixture's teardown.

    A pytest-xdist worker has no terminal: its lines go to the controller, which says
    them when the worker ends (:class:`_FromWorkers`).
    """
    if _is_worker(config):
        config.workeroutput.setdefault("terminal_lines", []).append(line)  # type: ignore[attr-defined]
        return
    capture = config.pluginmanager.get_plugin("capturemanager")
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or terminal is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        terminal.write_line(f"\n{line}")


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Names no other test (or earlier run) uses: topics, transactional ids, groups."""
    run = uuid.uuid4().hex[:8]
    return lambda base: f"{SESSION_PREFIX}{base}.{run}"


@pytest.fixture
def make_topic(kafka_settings: Settings, unique_name: Callable[[str], str]) -> Callable[..., str]:
    def make(base: str, partitions: int = 1, compacted: bool = False) -> str:
        name = unique_name(base)
        ensure_topics([TopicSpec(name, partitions, compacted)], kafka_settings)
        return name

    return make


class WebhookReceiver(LoopbackServer):
    """A real HTTP server on loopback that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        import json
        import queue

        self.received: queue.Queue[dict[str, object]] = queue.Queue()
        received = self.received

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.put({"path": self.path, "json": json.loads(body or b"null")})
                self.send_response(204)
                self.end_headers()

        super().__init__(Handler)
        self.url = f"{self.base_url}/hooks/mhub"

    def drain(self) -> list[dict[str, object]]:
        out = []
        while not self.received.empty():
            out.append(self.received.get_nowait())
        return out


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


# Agency simulators (real HTTP servers on ephemeral ports) and TLS material.
from tests.support.agencies import make_simulator, tls_files  # noqa: E402, F401


class _FromWorkers:
    """The controller's side of a pytest-xdist run: each worker's terminal lines and
    reliability rows, taken when it ends."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_testnodedown(self, node: object, error: object) -> None:
        from tests.support.reliability import import_rows

        output = getattr(node, "workeroutput", None) or {}
        for line in output.get("terminal_lines", []):
            _on_terminal(self.config, line)
        import_rows(output.get("reliability_rows", []))


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist") and not _is_worker(config):
        config.pluginmanager.register(_FromWorkers(config), "mhub-from-workers")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reliability table (docs/reliability.md) from the rows tests recorded;
    a pytest-xdist worker hands its rows to the controller instead."""
    from tests.support.reliability import export_rows, write_table

    if _is_worker(session.config):
        session.config.workeroutput["reliability_rows"] = export_rows()  # type: ignore[attr-defined]
        return
    write_table()
