"""connection_id made real: an Airflow Connection gives a source its endpoint and credentials."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from airflow.sdk import Connection

from connectors.http import HttpTransport, TransportConfig
from hub.airflow.connections import apply_connection, with_connection
from hub.errors import ConfigError
from hub.sources import SourceConfig

SOURCE = SourceConfig(
    name="interior_border",
    family="interior",
    endpoint="http://127.0.0.1:18700/interior",
    owner="o",
    connection_id="mhub_interior_test",
)


class TestApply:
    def test_endpoint_credentials_and_tls_files(self) -> None:
        conn = Connection(
            conn_id="mhub_interior_test", conn_type="https", host="mvd.example.kz", port=8443,
            schema="migration/v1", login="hub", password="s3cr3t",
            extra=json.dumps({"ca_bundle": "/etc/hub/mvd-ca.pem",
                              "client_cert": "/etc/hub/hub.pem", "client_key": "/etc/hub/hub.key"}),
        )
        src = apply_connection(SOURCE, conn)
        assert src.endpoint == "https://mvd.example.kz:8443/migration/v1"
        assert src.options == {
            "http_username": "hub", "http_password": "s3cr3t",
            "http_ca_bundle": "/etc/hub/mvd-ca.pem", "http_client_cert": "/etc/hub/hub.pem",
            "http_client_key": "/etc/hub/hub.key",
        }
        config = TransportConfig.from_options(src.options)
        assert config.username == "hub" and "s3cr3t" not in repr(config)

    def test_no_host_keeps_the_file_endpoint(self) -> None:
        conn = Connection(conn_id="c", conn_type="https", login="hub", password="x")
        assert apply_connection(SOURCE, conn).endpoint == SOURCE.endpoint

    def test_a_bad_extra_fails_with_its_rule(self) -> None:
        conn = Connection(conn_id="c", conn_type="https", host="h", extra='{"stat": "UZB"}')
        with pytest.raises(ConfigError, match=r"Airflow Connection 'mhub_interior_test'.*stat"):
            apply_connection(SOURCE, conn)

    def test_from_the_environment_as_airflow_reads_it(self, monkeypatch) -> None:
        monkeypatch.setenv("AIRFLOW_CONN_MHUB_INTERIOR_TEST", json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": 18799, "schema": "interior"}))
        assert with_connection(SOURCE).endpoint == "http://127.0.0.1:18799/interior"

    def test_undefined_connection_keeps_the_source(self, monkeypatch) -> None:
        monkeypatch.delenv("AIRFLOW_CONN_MHUB_INTERIOR_TEST", raising=False)
        assert with_connection(SOURCE) == SOURCE


@pytest.fixture
def basic_auth_server() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_credentials_reach_the_agency(basic_auth_server) -> None:
    url, seen = basic_auth_server
    conn = Connection(conn_id="c", conn_type="http", host=url, login="hub", password="s3cr3t")
    src = apply_connection(SOURCE, conn)
    transport = HttpTransport(src.endpoint, source=src.name,
                              config=TransportConfig.from_options(src.options))
    transport.request("GET", "/data", page="1")
    assert seen == ["Basic " + base64.b64encode(b"hub:s3cr3t").decode()]
