"""A throw-away Redis (Debian's ``redis-server``) on a loopback port, for the Celery broker.

Password required, nothing persisted (no RDB snapshots, no append-only file): the
queue of a test run is worth nothing after it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# Redis answers within a second of its start; this bounds a server that never does.
START_TIMEOUT_S = 30.0
POLL_S = 0.2


class RedisUnavailable(RuntimeError):
    """Debian's redis-server is not installed (infra/setup_production.sh installs it)."""


@dataclass
class RedisServer:
    port: int
    password: str
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisUnavailable("redis-server not installed: run infra/setup_production.sh")
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - the child's
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--requirepass",
             self.password, "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                text = (self.directory / "redis.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server did not start:\n{text[-2000:]}")
            time.sleep(POLL_S)
        return self

    def _answers(self) -> bool:
        """PING answered PONG after AUTH (so the password is the one set)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as s:
                s.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                reply = b""
                while b"PONG" not in reply and len(reply) < 200:
                    chunk = s.recv(100)
                    if not chunk:
                        break
                    reply += chunk
                return b"+OK" in reply and b"+PONG" in reply
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
