"""Helpers of the fault, pacing and delay tests: presets over plain HTTP, raw requests."""

from __future__ import annotations

import asyncio
import base64
import socket
import time

import httpx

from pretenders.server.embedded import EmbeddedServer


def preset(admin: httpx.Client, mock_id: str, **fields: object) -> httpx.Response:
    """``POST /preset/<id>`` with these fields, ``body`` given as text."""
    raw = fields.get("body")
    if isinstance(raw, str | bytes):
        data = raw.encode() if isinstance(raw, str) else raw
        fields["body"] = base64.b64encode(data).decode()
    return admin.post(f"/preset/{mock_id}", json=fields)


def add(admin: httpx.Client, mock_id: str, **fields: object) -> None:
    answer = preset(admin, mock_id, **fields)
    assert answer.status_code == 200, answer.text


def raw_get(path: str, host: str = "x") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


def timed_reads(sock: socket.socket, limit: float = 30.0) -> list[tuple[float, bytes]]:
    """Each read off ``sock`` until the server closes or ``limit`` seconds pass, with the
    seconds since the call it arrived at."""
    start = time.monotonic()
    reads: list[tuple[float, bytes]] = []
    sock.settimeout(limit)
    while time.monotonic() - start < limit:
        data = sock.recv(65536)
        if not data:
            break
        reads.append((time.monotonic() - start, data))
    return reads


def paced_body(sock: socket.socket, limit: float = 30.0) -> tuple[bytes, list[tuple[float, bytes]]]:
    """Read one answer with a Content-Length off ``sock``: its head, and each read of its
    body with the seconds since the head arrived (bounded by ``limit`` seconds)."""
    sock.settimeout(limit)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed before the head ended: {received!r}"
        received += chunk
    head_at = time.monotonic()
    head, rest = received.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    reads = [(0.0, rest)] if rest else []
    got = len(rest)
    while got < length:
        assert time.monotonic() - head_at < limit, "the body did not end in time"
        chunk = sock.recv(65536)
        assert chunk, "closed before the body ended"
        reads.append((time.monotonic() - head_at, chunk))
        got += len(chunk)
    return head, reads


def task_count(server: EmbeddedServer) -> int:
    """The tasks alive on the server's event loop, counted from that loop."""
    loop = server._loop
    assert loop is not None

    async def count() -> int:
        return len(asyncio.all_tasks())

    return asyncio.run_coroutine_threadsafe(count(), loop).result(5)
