"""AirflowApi.wait_for_run against a real HTTP server that answers one poll too late."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator

import pytest

from hub.airflow.api import AirflowApi, AirflowApiError
from tests.support.loopback import LoopbackServer, QuietHandler

# The client's read timeout in these tests, and how long the slow poll makes it wait.
CLIENT_TIMEOUT_S = 0.3
SLOW_ANSWER_S = 1.0


class RunServer(LoopbackServer):
    """Answers GET of a DAG run: the first ``slow`` polls late, then ``states`` in turn."""

    def __init__(self, states: list[str], slow: int = 0, status: int = 200) -> None:
        self.polls = 0
        lock = threading.Lock()
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with lock:
                    server.polls += 1
                    n = server.polls
                if n <= slow:
                    time.sleep(SLOW_ANSWER_S)
                state = states[min(n - 1, len(states) - 1)]
                body = json.dumps({"state": state, "note": ""}).encode()
                with contextlib.suppress(OSError):  # the client gave up on a slow answer
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        super().__init__(Handler)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[RunServer]:
    s = RunServer(**request.param)
    yield s
    s.close()


@pytest.mark.parametrize("server", [{"states": ["success"], "slow": 1}], indirect=True)
def test_a_late_answer_is_asked_again(server: RunServer, monkeypatch) -> None:
    monkeypatch.setattr("hub.airflow.api.POLL_INTERVAL_S", 0.01)
    api = AirflowApi(server.base_url, timeout=CLIENT_TIMEOUT_S)
    assert api.wait_for_run("d", "r", timeout_s=10)["state"] == "success"
    assert server.polls == 2


@pytest.mark.parametrize("server", [{"states": ["running"], "slow": 100}], indirect=True)
def test_no_answer_until_the_deadline_fails_naming_the_run(server: RunServer) -> None:
    api = AirflowApi(server.base_url, timeout=CLIENT_TIMEOUT_S)
    with pytest.raises(AirflowApiError, match="d r: no answer in time after 1"):
        api.wait_for_run("d", "r", timeout_s=1)


@pytest.mark.parametrize("server", [{"states": ["running"], "status": 404}], indirect=True)
def test_a_refusal_is_not_retried(server: RunServer) -> None:
    api = AirflowApi(server.base_url, timeout=CLIENT_TIMEOUT_S)
    with pytest.raises(AirflowApiError, match="404"):
        api.wait_for_run("d", "r", timeout_s=10)
    assert server.polls == 1
