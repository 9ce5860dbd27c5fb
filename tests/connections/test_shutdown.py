"""Shutdown honours --shutdown-timeout once, says what it cut; EmbeddedServer.stop() returns."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.connections.conftest import ServerProcess
from tests.connections.helpers import new_mock, request
from tests.waiting import wait_until

SHUTDOWN_TIMEOUT = 2.0


@pytest.mark.slow
def test_sigterm_cuts_a_pending_delayed_reply_at_the_shutdown_timeout(launch) -> None:  # type: ignore[no-untyped-def]
    server: ServerProcess = launch("--shutdown-timeout", str(SHUTDOWN_TIMEOUT))
    mock_id = new_mock(server.url, rule="GET /long", after=3600, times="FOREVER")
    clients = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(2)]
    try:
        for client in clients:
            client.sendall(request(f"/mockhttp/{mock_id}/long"))
        history = f"{server.url}/history/{mock_id}"
        wait_until(lambda: len(httpx.get(history).json()) == 2, timeout=10)
        signalled = time.monotonic()
        assert server.stop(timeout=SHUTDOWN_TIMEOUT + 10) == 0
        took = time.monotonic() - signalled
        # The bound the option promises, not a speed claim: within a second of it.
        assert SHUTDOWN_TIMEOUT <= took < SHUTDOWN_TIMEOUT + 1, f"stopped after {took:.1f} s"
        for client in clients:
            assert client.recv(1024) == b"", "the cut reply's connection was left open"
    finally:
        for client in clients:
            client.close()
    log = server.stderr()
    assert "cut 2 replies still under way after --shutdown-timeout (2.0 s)" in log
    assert "Traceback" not in log


@pytest.mark.slow
def test_sigterm_with_nothing_under_way_stops_at_once(launch) -> None:  # type: ignore[no-untyped-def]
    server: ServerProcess = launch("--shutdown-timeout", "30")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as idle:
        idle.sendall(request("/health"))
        assert idle.recv(1024).startswith(b"HTTP/1.1 200")
        assert server.stop(timeout=10) == 0  # an idle keep-alive connection holds up nothing
    assert "cut 0 replies" in server.stderr()


def test_embedded_stop_returns_with_abandoned_delayed_replies() -> None:
    server = EmbeddedServer(shutdown_timeout=0.5).start()
    thread = server._thread
    assert thread is not None
    mock_id = new_mock(server.url, rule="GET /long", after=3600, times="FOREVER")
    abandoned = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
    waiting = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        for client in [*abandoned, waiting]:
            client.sendall(request(f"/mockhttp/{mock_id}/long"))
        history = f"{server.url}/history/{mock_id}"
        wait_until(lambda: len(httpx.get(history).json()) == 6, timeout=10)
        for client in abandoned:
            client.close()
        server.stop()
        assert not thread.is_alive()
        assert not server.running
        assert waiting.recv(1024) == b"", "the reply still awaited was not cut"
    finally:
        waiting.close()
        for client in abandoned:
            client.close()


def test_embedded_stop_cancels_what_outlives_its_own_timeout() -> None:
    """Even when the server's shutdown itself would take longer than ``stop``'s timeout."""
    server = EmbeddedServer(shutdown_timeout=60).start()
    thread = server._thread
    assert thread is not None
    mock_id = new_mock(server.url, rule="GET /long", after=3600)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as waiting:
        waiting.sendall(request(f"/mockhttp/{mock_id}/long"))
        wait_until(lambda: httpx.get(f"{server.url}/history/{mock_id}").json(), timeout=10)
        server.stop(timeout=0.5)
        assert not thread.is_alive()
