"""mhub kafka status: works wherever the hub is installed (no infra/, no broker needed)."""

from __future__ import annotations

import socket

import pytest

from hub.cli import main


class TestStatus:
    def test_a_listening_bootstrap_server_is_up(self, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
        with socket.create_server(("127.0.0.1", 0)) as server:
            address = f"127.0.0.1:{server.getsockname()[1]}"
            monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:1,{address}")
            assert main(["kafka", "status"]) == 0
        assert capsys.readouterr().out == f"external cluster 127.0.0.1:1,{address}: up\n"

    def test_nothing_listening_is_down(self, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        with socket.create_server(("127.0.0.1", 0)) as server:
            address = f"127.0.0.1:{server.getsockname()[1]}"
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", address)
        assert main(["kafka", "status"]) == 0
        assert capsys.readouterr().out == f"external cluster {address}: down\n"
