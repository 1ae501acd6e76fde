"""Registry backends for the identity tests: an SQLite file, and a real PostgreSQL.

PostgreSQL is Debian's server, started once per session by tests/support/postgres.py,
listening only on a Unix socket (no TCP port at all). Each test gets its own database.
The PostgreSQL half is skipped, with the reason, only when the server binaries are not
installed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, PostgresUnavailable

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL on a Unix socket only (tests/support/postgres.py)."""
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh database on the session's server, as a conninfo."""
    return postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same behaviour tests run on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "var" / "registry.db")
    return str(request.getfixturevalue("postgres_url"))
