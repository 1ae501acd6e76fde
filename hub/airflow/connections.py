"""An agency's endpoint and credentials from the Airflow Connection its source names.

Operators keep secrets where Airflow keeps them (the metadata DB, a secrets
backend, or ``AIRFLOW_CONN_<ID>`` variables), not in ``sources.toml``. When a
source names ``connection_id`` and that connection exists, ``extract`` uses:

* host, port, schema (and conn_type ``http``/``https``) as the endpoint
  ``<type>://<host>:<port>/<schema>``; a host that already is a URL is used as is;
  no host keeps the endpoint from ``sources.toml``;
* login and password as HTTP Basic credentials;
* extra (JSON): ``ca_bundle``, ``client_cert``, ``client_key`` (PEM files for
  mutual TLS; ``http_*`` spellings accepted too) and any option of the source's
  family (for example ``state`` or ``drop_dir``), which override the file's.

A connection that is not defined is not an error: the source runs with what the
sources file says (the local simulators need no credentials), and the task log
says so. The result is checked like any source, so a bad connection fails with
its rule before any request is sent.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Protocol

from hub.errors import ConfigError
from hub.sources import SourceConfig, check_source

log = logging.getLogger(__name__)

# extra keys that are TLS material, mapped to the transport's options
TLS_EXTRA = {"ca_bundle": "http_ca_bundle", "client_cert": "http_client_cert",
             "client_key": "http_client_key"}
WEB_TYPES = ("http", "https")


class ConnectionLike(Protocol):
    conn_type: str | None
    host: str | None
    port: int | None
    schema: str | None
    login: str | None
    password: str | None

    @property
    def extra_dejson(self) -> dict[str, Any]: ...


def lookup(conn_id: str) -> ConnectionLike | None:
    """The Airflow Connection ``conn_id`` through the Task SDK, or None when undefined."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)  # type: ignore[no-any-return]
    except AirflowNotFoundException:
        return None


def with_connection(source: SourceConfig) -> SourceConfig:
    """The source with its connection's endpoint and credentials applied (if it has one)."""
    if not source.connection_id:
        return source
    conn = lookup(source.connection_id)
    if conn is None:
        log.info("%s: Airflow Connection %r is not defined; using the sources file's endpoint "
                 "without credentials", source.name, source.connection_id)
        return source
    applied = apply_connection(source, conn)
    log.info("%s: endpoint and credentials from Airflow Connection %r (%s)", source.name,
             source.connection_id, applied.endpoint or "file drop")
    return applied


def apply_connection(source: SourceConfig, conn: ConnectionLike) -> SourceConfig:
    options = dict(source.options)
    for key, value in (conn.extra_dejson or {}).items():
        options[TLS_EXTRA.get(key, key)] = value
    if conn.login:
        options["http_username"] = conn.login
        options["http_password"] = conn.password or ""
    applied = replace(source, endpoint=_endpoint(source, conn), options=options)
    problems = check_source(applied)
    if problems:
        raise ConfigError(
            f"source {source.name}: Airflow Connection {source.connection_id!r}: "
            + "; ".join(problems)
        )
    return applied


def _endpoint(source: SourceConfig, conn: ConnectionLike) -> str:
    host = (conn.host or "").strip()
    if not host:
        return source.endpoint
    if "://" in host:
        return host.rstrip("/")
    scheme = conn.conn_type if conn.conn_type in WEB_TYPES else "https"
    port = f":{conn.port}" if conn.port else ""
    path = f"/{conn.schema.strip('/')}" if conn.schema else ""
    return f"{scheme}://{host}{port}{path}"
