"""A real ``redis-server`` for the tests: started on a free loopback port, stopped by PID.

Example (the ``redis_server`` fixture in ``tests/conftest.py`` does this once a session)::

    with RedisServer(tmp_path) as redis:
        EmbeddedServer(store=redis.url(db=1))
        redis.pause()  # SIGSTOP: connections hang, as when the network drops
        redis.resume()  # SIGCONT
        redis.kill()  # SIGKILL: connections are refused
        redis.start()  # same port and directory (and append-only file, if on)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

EXECUTABLE = "redis-server"
DATABASES = 64
"""Databases the server has: enough for one per deployment and per test that wants its own."""

PORT_ATTEMPTS = 3
"""Free ports tried on a first start when the one picked was taken in between."""

STOP_TIMEOUT = 5.0
"""Seconds a SIGTERM gets before SIGKILL."""


def require_redis(
    executable: str = EXECUTABLE, environment: Mapping[str, str] = os.environ
) -> None:
    """Skip the test when ``redis-server`` is missing, unless under CI (``$CI`` set): fail
    there, as a missing Redis would otherwise pass for a green run."""
    if shutil.which(executable) is None:
        reason = (
            f"{executable} is not installed: the README's test command installs it "
            "(apt-get install redis-server)"
        )
        if environment.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the caller binds it soon after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers_ping(port: int, timeout: float = 1.0) -> bool:
    """Whether something on ``127.0.0.1:port`` answers ``PING`` with ``+PONG`` (raw RESP)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            connection.sendall(b"PING\r\n")
            reply = b""
            while not reply.endswith(b"\r\n") and len(reply) < 64:
                chunk = connection.recv(64)
                if not chunk:
                    break
                reply += chunk
            return reply == b"+PONG\r\n"
    except OSError:
        return False


def server_pid(port: int, timeout: float = 1.0) -> int | None:
    """The ``process_id`` the Redis on ``127.0.0.1:port`` reports (``INFO server``), or
    ``None`` if nothing answers: tells our process from another one on the same port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            connection.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
            reply = b""
            while b"process_id:" not in reply or not reply.endswith(b"\r\n"):
                chunk = connection.recv(4096)
                if not chunk or len(reply) > 65536:
                    return None
                reply += chunk
    except OSError:
        return None
    found = re.search(rb"process_id:(\d+)\r\n", reply)
    return int(found.group(1)) if found else None


class RedisServer:
    """One ``redis-server`` process on ``127.0.0.1`` with its files in ``directory``.

    ``appendonly=True`` keeps an append-only file there (fsync'd on every write with the
    default ``appendfsync="always"``), so a :meth:`kill` then :meth:`start` loses nothing
    Redis acknowledged: the fault tests use it. The port is picked once and kept across
    restarts, as a real Redis keeps its address.
    """

    def __init__(
        self,
        directory: Path,
        *,
        port: int | None = None,
        appendonly: bool = False,
        appendfsync: str = "always",
        executable: str = EXECUTABLE,
    ) -> None:
        self.directory = directory
        self._port_picked = port is None
        self.port = port or free_port()
        self.appendonly = appendonly
        self.appendfsync = appendfsync
        self.executable = executable
        self.process: subprocess.Popen[bytes] | None = None
        self._next_db = 0

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def log(self) -> Path:
        return self.directory / "redis.log"

    def url(self, db: int = 0) -> str:
        """The store URL of database ``db``: ``redis://127.0.0.1:PORT/DB``."""
        return f"redis://{self.host}:{self.port}/{db}"

    def new_db(self) -> int:
        """A database number no one else in this session was given (0, 1, 2...)."""
        if self._next_db >= DATABASES:
            raise RuntimeError(f"all {DATABASES} databases of the test Redis are in use")
        db, self._next_db = self._next_db, self._next_db + 1
        return db

    def command(self) -> list[str]:
        """The ``redis-server`` command line."""
        return [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--protected-mode", "yes",
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", self.appendfsync,
            "--dir", str(self.directory),
            "--databases", str(DATABASES),
            "--daemonize", "no",
            "--logfile", "",
        ]  # fmt: skip

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start (or restart, after :meth:`kill`) and return once it answers PING."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"redis-server is already running (pid {self.process.pid})")
        if shutil.which(self.executable) is None:
            raise FileNotFoundError(
                f"{self.executable} is not installed (apt-get install redis-server)"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        # A port picked free may be taken before Redis binds it: pick another, before the
        # first start only (a restart keeps its address).
        attempts = PORT_ATTEMPTS if self._port_picked and self.process is None else 1
        for attempt in range(attempts):
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.directory
                )
            try:
                self.wait_ready(timeout)
                return self
            except (RuntimeError, TimeoutError):
                self.kill()
                if attempt + 1 == attempts or "in use" not in self._log_tail():
                    raise
                self.port = free_port()
        return self

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Poll PING until ``+PONG`` from this process (not another one on the port); fail
        with the log's end if it exits or the time is up."""
        deadline = time.monotonic() + timeout
        while not (answers_ping(self.port, timeout=0.5) and server_pid(self.port) == self.pid):
            process = self.process
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"redis-server on port {self.port} exited with {process.returncode}: "
                    + self._log_tail()
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"redis-server on port {self.port} did not answer PING within {timeout} s: "
                    + self._log_tail()
                )
            time.sleep(0.02)  # poll interval, bounded by the deadline above

    def pause(self) -> None:
        """SIGSTOP: the port stays open but nothing answers (connections hang)."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        self._signal(signal.SIGCONT)

    def kill(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGKILL, as a crash: no shutdown work, only what the append-only file holds stays."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.kill()
        process.wait(timeout)

    def restart(self, timeout: float = 10.0) -> None:
        """:meth:`kill` then :meth:`start` on the same port and directory."""
        self.kill()
        self.start(timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM (after SIGCONT, in case it is paused), then SIGKILL after ``timeout``."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def _signal(self, number: signal.Signals) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            raise RuntimeError("redis-server is not running")
        os.kill(process.pid, number)

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1000:].strip()
        except OSError:
            return "(no log)"

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
