"""Past --max-connections a new connection gets a 503 at once, before descriptors run out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import socket
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

from pretenders.server import connections
from pretenders.server.connections import default_max_connections
from tests.connections.conftest import ServerProcess
from tests.waiting import wait_until

OPEN_FILES = 128
"""The server's open-file limit (soft and hard), as a tight container or CI host would set."""
EXTRA = 16
"""Connections opened past the limit."""


def open_connections(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]


def refused(sockets: list[socket.socket], expected: int) -> list[socket.socket]:
    """The connections the server answered unasked (refusals), once ``expected`` of them
    have answered (bounded wait)."""
    answered: list[socket.socket] = []

    def enough() -> bool:
        answered[:] = select.select(sockets, [], [], 0.1)[0]
        return len(answered) >= expected

    wait_until(enough, timeout=10)
    return answered


def read_all(sock: socket.socket) -> bytes:
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(4096):
            received += chunk
    return received


@pytest.mark.slow
def test_the_limit_answers_503_before_descriptors_run_out(launch) -> None:  # type: ignore[no-untyped-def]
    server: ServerProcess = launch(
        "--log-level", "debug", "--keepalive-timeout", "300", open_files=OPEN_FILES
    )
    limit = default_max_connections(OPEN_FILES)
    held = open_connections(server.port, limit + EXTRA)
    try:
        answered = refused(held, EXTRA)
        assert len(answered) == EXTRA, "the limit is not the one derived from ulimit -n"
        for sock in answered:
            reply = read_all(sock)
            assert reply.startswith(b"HTTP/1.1 503 "), reply
            assert b"start it with a higher --max-connections" in reply
            held.remove(sock)
            sock.close()
        # At the limit, a fresh connection is refused too, with the same clear answer.
        full = httpx.get(f"{server.url}/health", timeout=5)
        assert full.status_code == 503 and "--max-connections" in full.text
        # Some clients leave: a fresh connection is served again.
        for sock in held[:10]:
            sock.close()
        del held[:10]
        wait_until(lambda: httpx.get(f"{server.url}/health", timeout=5).status_code == 200, 10)
        # Fill up to one short of the limit: the admin call takes the last connection, and
        # an SMTP mock, whose listening socket would be one more, is refused clearly.
        held += open_connections(server.port, 9)
        with httpx.Client(base_url=server.url, timeout=5) as admin:
            answer = admin.post("/smtp", json={})
            assert answer.status_code == 503, answer.text
            message = answer.json()["errors"][0]["message"]
            assert message.startswith("cannot open a port for the SMTP mock")
            assert "--max-connections" in message
    finally:
        for sock in held:
            sock.close()
    assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
    assert server.stop() == 0
    log = server.stderr()
    assert "Traceback" not in log
    assert "Too many open files" not in log, "the descriptors ran out all the same"
    assert f"open-file limit: {OPEN_FILES}" in log
    warnings = [
        line for line in log.splitlines() if "open connections, its --max-connections" in line
    ]
    assert 1 <= len(warnings) <= 2, "the warning is not repeated for every refused connection"


@pytest.mark.slow
def test_smtp_connections_count_and_get_421_past_the_limit(launch) -> None:  # type: ignore[no-untyped-def]
    server: ServerProcess = launch("--max-connections", "4")
    with httpx.Client(base_url=server.url, timeout=5) as admin:  # connection 1
        smtp_port = int(admin.post("/smtp", json={}).json()["full_host"].rsplit(":", 1)[1])  # 2
        first = socket.create_connection(("127.0.0.1", smtp_port), timeout=5)  # 3
        second = socket.create_connection(("127.0.0.1", smtp_port), timeout=5)  # 4
        try:
            assert first.recv(1024).startswith(b"220 ")
            assert second.recv(1024).startswith(b"220 ")
            with socket.create_connection(("127.0.0.1", smtp_port), timeout=5) as third:
                greeting = read_all(third)
            assert greeting.startswith(b"421 4.3.2 ") and b"--max-connections" in greeting
        finally:
            first.close()
            second.close()
        wait_until(lambda: admin.get("/health").status_code == 200, timeout=10)
    assert server.stop() == 0


def test_an_smtp_mock_that_cannot_open_its_port_says_why(tmp_path: object) -> None:
    """Out of descriptors, asyncio may hand back a server with no socket at all: the mock's
    creation then fails with a clear error, where it was an IndexError."""
    script = textwrap.dedent(
        """
        import asyncio, resource, socket
        from pretenders.server.core.errors import Unavailable
        from pretenders.server.smtp_mock import _listen

        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

        async def main():
            held = []
            try:
                while True:
                    held.append(socket.socket())
            except OSError:
                pass
            try:
                await _listen(asyncio.get_running_loop(), asyncio.Protocol, "127.0.0.1")
            except Unavailable as error:
                print(error.status, error.message)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert done.stdout.startswith("503 cannot open a port for the SMTP mock on 127.0.0.1"), done
    assert "out of file descriptors" in done.stdout


def test_the_default_limit_keeps_a_reserve() -> None:
    assert default_max_connections(1024) == 1024 - 32 - 102
    assert default_max_connections(128) == 128 - 32 - 12
    assert default_max_connections(None) == 10_000
    assert default_max_connections(10) == 1


def test_refusals_are_warned_at_once_then_counted_every_interval(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connections, "WARNING_INTERVAL", 0.3)
    budget = connections.ConnectionBudget(2)
    budget.open = 2

    async def refuse(times: int) -> None:
        for _ in range(times):
            budget.refused()
        deadline = time.monotonic() + 5
        while budget._pending_warning is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    asyncio.run(refuse(5))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "refused 1 connection: this server already holds 2 open connections, its --max-connections",
        "refused 4 connections: this server already holds 2 open connections, "
        "its --max-connections",
    ]
