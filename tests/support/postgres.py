"""A throw-away PostgreSQL server from Debian's ``postgresql`` package, for tests.

``initdb`` into a temporary directory and ``pg_ctl start``: by default listening only
on a Unix socket in that directory (no TCP port at all, the registry unit tests), or
on a loopback TCP port with password authentication (the production shape, where
Airflow, Celery and the hub's registry connect as their own users). initdb refuses to
run as root, so under root the server runs as the ``postgres`` system user the Debian
package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Seconds pg_ctl waits for the server to accept connections (it starts in ~1 s).
PG_START_TIMEOUT_S = 60
# The superuser initdb creates (trust on the socket, a password over TCP).
SUPERUSER = "hub"


class PostgresUnavailable(RuntimeError):
    """The server binaries, or a user to run them as, are missing on this machine."""


def pg_bindir() -> Path | None:
    """The newest installed server's bin directory (Debian keeps them per major)."""

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
    except KeyError as exc:
        raise PostgresUnavailable(
            "running as root and no 'postgres' user to run the PostgreSQL server as"
        ) from exc

    def run_as_postgres() -> None:
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    return run_as_postgres, pw.pw_uid


@dataclass
class PostgresServer:
    """One server under a fresh temporary directory; :meth:`start`, then :meth:`stop`."""

    #: a loopback TCP port to listen on; None: the Unix socket only
    port: int | None = None
    #: the superuser's password (needed with a TCP port: md5/scram over TCP, never trust)
    password: str = ""
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mhub-pg-")))

    def __post_init__(self) -> None:
        # Not under pytest's tmp dir: that is mode 0700 for root and the server user
        # must reach its socket and data directory.
        self.data, self.socket_dir = self.base / "data", self.base / "sock"
        self.bindir = pg_bindir()

    def start(self) -> PostgresServer:
        if self.bindir is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries not installed (Debian package 'postgresql')")
        if self.port is not None and not self.password:
            raise ValueError("a PostgreSQL server on a TCP port needs a superuser password")
        preexec, uid = _demote()
        self.socket_dir.mkdir(parents=True)
        if uid is not None:
            for path in (self.base, self.socket_dir):
                os.chown(path, uid, -1)
        init = [str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8",
                "--no-sync", "--auth-local=trust"]
        if self.password:
            pwfile = self.base / "pwfile"
            pwfile.write_text(self.password + "\n")
            if uid is not None:
                os.chown(pwfile, uid, -1)
            init += ["--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        else:
            init += ["--auth-host=trust"]
        listen = f"'127.0.0.1' -p {self.port}" if self.port is not None else "''"
        # Durability off: a test server, thrown away at the end.
        options = (f"-k {self.socket_dir} -c listen_addresses={listen} -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off")
        try:
            self._run(init, preexec)
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                       "-l", str(self.log), "-w", "-t", str(PG_START_TIMEOUT_S), "start"], preexec)
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text() if self.log.exists() else ""
            shutil.rmtree(self.base, ignore_errors=True)
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr!r}\n{log}") from exc
        return self

    @property
    def log(self) -> Path:
        return self.base / "log"

    @property
    def conninfo(self) -> str:
        """The superuser over the Unix socket, without dbname (the socket's name carries
        the port the server listens on)."""
        port = f" port={self.port}" if self.port is not None else ""
        return f"host={self.socket_dir}{port} user={SUPERUSER}"

    def create_database(self, name: str, *, owner: str = "", password: str = "") -> str:
        """A new database (and its owner role, when named); its conninfo over the socket."""
        import psycopg

        with psycopg.connect(f"{self.conninfo} dbname=postgres", autocommit=True) as conn:
            if owner:
                conn.execute(f"CREATE ROLE \"{owner}\" LOGIN PASSWORD '{password}'")
            conn.execute(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))
        return f"{self.conninfo} dbname={name}"

    def stop(self) -> None:
        if self.bindir is not None and self.data.exists():
            preexec, _uid = _demote()
            subprocess.run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "stop"], capture_output=True, preexec_fn=preexec, env=_env())
        shutil.rmtree(self.base, ignore_errors=True)

    @staticmethod
    def _run(argv: list[str], preexec: Callable[[], None] | None) -> None:
        subprocess.run(argv, check=True, capture_output=True, preexec_fn=preexec, env=_env())


def _env() -> dict[str, str]:
    return {**os.environ, "LC_ALL": "C"}
