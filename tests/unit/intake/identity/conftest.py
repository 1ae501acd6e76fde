"""Registry backends for the identity tests: an SQLite file, and a real PostgreSQL.

PostgreSQL is Debian's server, started here once per session: ``initdb`` into a
temporary directory and ``pg_ctl start`` listening only on a Unix socket in it
(no TCP port at all). initdb refuses to run as root, so under root the server
runs as the ``postgres`` system user the Debian package creates. Each test gets
its own database. The PostgreSQL half is skipped, with the reason, only when
the server binaries are not installed.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Seconds pg_ctl waits for the server to accept connections (it starts in ~1 s).
PG_START_TIMEOUT = 60
BACKENDS = ["sqlite", "postgresql"]


def _pg_bindir() -> Path | None:
    def version(initdb: str) -> int:
        name = Path(initdb).parent.parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _demote() -> tuple[Callable[[], None] | None, int | None]:
    """(preexec_fn, uid) to run the server as 'postgres' when we are root."""
    if os.geteuid() != 0:
        return None, None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and no 'postgres' user to run the PostgreSQL server as")

    def run_as_postgres() -> None:
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    return run_as_postgres, pw.pw_uid


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL; yields a conninfo without dbname."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package 'postgresql')")
    preexec, uid = _demote()
    # Not under pytest's tmp dir: that is mode 0700 for root and the server user
    # must reach its socket and data directory.
    base = Path(tempfile.mkdtemp(prefix="mhub-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if uid is not None:
        for path in (base, sock):
            os.chown(path, uid, -1)
    env = {**os.environ, "LC_ALL": "C"}
    try:
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "hub",
             "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, preexec_fn=preexec, env=env,
        )
        options = (
            f"-k {sock} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off"
        )
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"),
             "-w", "-t", str(PG_START_TIMEOUT), "start"],
            check=True, capture_output=True, preexec_fn=preexec, env=env,
        )
    except subprocess.CalledProcessError as exc:
        log = (base / "log").read_text() if (base / "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr!r}\n{log}") from exc
    try:
        yield f"host={sock} user=hub"
    finally:
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True, preexec_fn=preexec, env=env,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh database on the session's server, as a conninfo."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_server} dbname={name}"


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same behaviour tests run on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "var" / "registry.db")
    return str(request.getfixturevalue("postgres_url"))
