"""The header-read and idle timeouts close slow or silent connections, and nothing else."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.connections.helpers import new_mock, request
from tests.raw_socket import connection, read_response
from tests.waiting import wait_until

SHORT = 0.5
"""The timeout under test, in seconds."""
LONG = 60.0
"""The other timeout, which must not be the one that closes the connection."""
CLOSE_WAIT = 10.0
"""How long a test waits for the server to close a connection before failing."""


@pytest.fixture(scope="module")
def header_timeout() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(header_timeout=SHORT, keepalive_timeout=LONG) as server:
        yield server


@pytest.fixture(scope="module")
def idle_timeout() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(header_timeout=LONG, keepalive_timeout=SHORT) as server:
        yield server


def closed_by_server(sock: socket.socket, drip: bytes = b"") -> bool:
    """Send ``drip`` a byte at a time, every 0.1 s, until the server closes the connection
    (True), or CLOSE_WAIT passes (False)."""
    sock.settimeout(0.1)
    deadline = time.monotonic() + CLOSE_WAIT
    sent = 0
    while time.monotonic() < deadline:
        try:
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            pass
        except ConnectionResetError:
            return True
        if sent < len(drip):
            try:
                sock.send(drip[sent : sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                return True
            sent += 1
    return False


def test_a_slow_loris_head_is_closed_at_the_header_timeout(header_timeout: EmbeddedServer) -> None:
    """One byte every 0.1 s: each byte is on time, the head as a whole is not."""
    head = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 1000
    with connection(header_timeout.port) as sock:
        assert closed_by_server(sock, drip=head), "a head dripping in was never cut"


def test_a_head_cut_off_midway_is_closed_at_the_header_timeout(
    header_timeout: EmbeddedServer,
) -> None:
    with connection(header_timeout.port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHo")
        assert closed_by_server(sock)


def test_the_header_timeout_spares_a_running_handler_and_a_slow_body(
    header_timeout: EmbeddedServer,
) -> None:
    """A reply delayed past the header timeout is answered, and so is a body that takes
    longer than it to arrive: the timeout bounds the head only."""
    body = base64.b64encode(b"late").decode()
    mock_id = new_mock(header_timeout.url, rule="POST /slow", body=body, after=2 * SHORT)
    with connection(header_timeout.port) as sock:
        sock.sendall(request(f"/mockhttp/{mock_id}/slow", "Content-Length: 12\r\n", b"", "POST"))
        for byte in b"twelve bytes":
            time.sleep(SHORT / 4)  # the test is about a body spread out in time
            sock.send(bytes([byte]))
        assert read_response(sock) == (200, b"late")
        # Then the same connection serves another request: it was never cut.
        sock.sendall(request("/health"))
        assert read_response(sock)[0] == 200


def test_an_idle_connection_is_closed_at_the_keepalive_timeout(
    idle_timeout: EmbeddedServer,
) -> None:
    with connection(idle_timeout.port) as sock:
        sock.sendall(request("/health"))
        assert read_response(sock)[0] == 200
        assert closed_by_server(sock)


def test_a_connection_that_never_sends_is_closed_at_the_keepalive_timeout(
    idle_timeout: EmbeddedServer,
) -> None:
    with connection(idle_timeout.port) as sock:
        assert closed_by_server(sock)


def test_a_body_that_stops_coming_is_closed_at_the_keepalive_timeout(
    idle_timeout: EmbeddedServer,
) -> None:
    mock_id = new_mock(idle_timeout.url)
    with connection(idle_timeout.port) as sock:
        head = request(f"/mockhttp/{mock_id}/upload", "Content-Length: 100\r\n", b"", "POST")
        sock.sendall(head + b"only part of it")
        assert closed_by_server(sock), "a body that stopped coming held its connection"


def test_a_body_that_keeps_coming_is_read_to_its_end(idle_timeout: EmbeddedServer) -> None:
    """Bytes spaced closer than the idle timeout, for longer than it in all."""
    body = base64.b64encode(b"got it").decode()
    mock_id = new_mock(idle_timeout.url, rule="POST /upload", body=body)
    with connection(idle_timeout.port) as sock:
        sock.sendall(request(f"/mockhttp/{mock_id}/upload", "Content-Length: 16\r\n", b"", "POST"))
        for byte in b"sixteen bytes ok":
            time.sleep(SHORT / 5)  # the test is about a body spread out in time
            sock.send(bytes([byte]))
        assert read_response(sock) == (200, b"got it")


def test_a_busy_keepalive_connection_is_never_cut(idle_timeout: EmbeddedServer) -> None:
    """Requests spaced closer than the idle timeout keep one connection for longer than it."""
    with connection(idle_timeout.port) as sock:
        started = time.monotonic()
        while time.monotonic() - started < 3 * SHORT:
            sock.sendall(request("/health"))
            assert read_response(sock)[0] == 200
            time.sleep(SHORT / 5)  # the test is about requests spread out in time


def test_the_timeouts_close_without_an_error_in_the_log(
    header_timeout: EmbeddedServer, caplog: pytest.LogCaptureFixture
) -> None:
    with connection(header_timeout.port) as sock:
        sock.sendall(b"POST /http HTTP/1.1\r\n")
        assert closed_by_server(sock)
    wait_until(lambda: httpx.get(f"{header_timeout.url}/health").status_code == 200, 5)
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert not [r for r in caplog.records if r.exc_info]
