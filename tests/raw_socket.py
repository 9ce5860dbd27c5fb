"""Raw TCP conversations with the server, for requests no well-behaved client would send."""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
from collections.abc import Iterator

TIMEOUT = 5.0
"""Seconds any single socket operation may take before the test fails."""


@contextlib.contextmanager
def connection(port: int, timeout: float = TIMEOUT) -> Iterator[socket.socket]:
    """A TCP connection to 127.0.0.1, closed on exit."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as opened:
        yield opened


def read_until_closed(sock: socket.socket, limit: int = 1 << 20) -> bytes:
    """Everything the server sends until it closes the connection (at most ``limit`` bytes)."""
    received = bytearray()
    with contextlib.suppress(ConnectionResetError):
        while len(received) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return bytes(received)


def exchange(port: int, data: bytes, *, half_close: bool = False) -> bytes:
    """Send ``data`` on a new connection and return all the server answers before closing.

    ``half_close`` ends the sending side after ``data``, as a client that gives up would.
    """
    with connection(port) as sock:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            sock.sendall(data)
        if half_close:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)
        return read_until_closed(sock)


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """One HTTP answer with a Content-Length, read off a connection that stays open."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed before the answer ended: {received!r}"
        received += chunk
    head, body = received.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed before the body ended"
        body += chunk
    return int(head.split()[1]), body


def status_of(reply: bytes) -> int | None:
    """The status code of an HTTP answer, or None when there was no answer."""
    if not reply:
        return None
    status_line = reply.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1."), f"not an HTTP answer: {reply[:200]!r}"
    return int(status_line.split()[1])


def reset(sock: socket.socket) -> None:
    """Close with a TCP reset rather than an orderly FIN, as a crashed client would."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def tls_client_hello() -> bytes:
    """The first bytes a TLS client sends (a real ClientHello record)."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with contextlib.suppress(ssl.SSLWantReadError):
        client.do_handshake()
    return outgoing.read()
