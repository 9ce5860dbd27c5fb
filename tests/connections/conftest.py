"""A server run as its own process, for what only a process shows: limits, signals, logs."""

from __future__ import annotations

import contextlib
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.waiting import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then wait for the exit (bounded)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _open_files(limit: int) -> None:
    """In the child, before it runs: soft and hard limit both, so that raising the soft
    limit to the hard one at start-up cannot escape it."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[object]:
    """Start ``pretenders ARGS`` (optionally under an open-file limit); waits for /health."""
    started: list[ServerProcess] = []

    def start(*args: str, open_files: int | None = None) -> ServerProcess:
        port = free_port()
        log = tmp_path / f"server-{len(started)}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "pretenders.server.server", "--port", str(port), *args],
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                preexec_fn=(lambda: _open_files(open_files)) if open_files else None,
            )
        server = ServerProcess(process, port, log)
        started.append(server)
        wait_until(lambda: _answers(f"{server.url}/health") or process.poll() is not None, 15)
        assert process.poll() is None, server.stderr()
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=10)
