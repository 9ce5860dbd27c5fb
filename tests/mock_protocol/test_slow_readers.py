"""A client that sends many requests at once and reads the replies late: the lean path
stops reading while replies wait to be written, then answers every request, in order."""

from __future__ import annotations

import base64
import socket

import httpx

from pretenders.server.embedded import EmbeddedServer

BODY = b"\0" * (256 * 1024)
"""Large enough that a few replies fill the socket buffers and pause writing."""
REQUESTS = 40


def test_pipelined_requests_read_late_are_all_answered_in_order() -> None:
    with EmbeddedServer() as server, httpx.Client(base_url=server.url) as admin:
        mock_id = admin.post("/http", json={}).json()["id"]
        preset = {"rule": "GET", "body": base64.b64encode(BODY).decode(), "times": "FOREVER"}
        assert admin.post(f"/preset/{mock_id}", json=preset).status_code == 200
        requests = b"".join(
            f"GET /mockhttp/{mock_id}/{n} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
            for n in range(REQUESTS)
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
            sock.sendall(requests)
            expected = REQUESTS * len(BODY)
            chunks = []
            bodies = 0
            while bodies < expected:
                chunk = sock.recv(1024 * 1024)
                assert chunk, "the server closed before every reply"
                chunks.append(chunk)
                bodies += chunk.count(b"\0")
        received = b"".join(chunks)
        assert received.count(b"HTTP/1.1 200 OK\r\n") == REQUESTS
        urls = [call["url"] for call in admin.get(f"/history/{mock_id}").json()]
        assert urls == [f"/{n}" for n in range(REQUESTS)]
