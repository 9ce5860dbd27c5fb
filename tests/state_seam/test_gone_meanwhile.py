"""A mock deleted while a request's body is on its way: the request is not served by it."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.state import STATE


def last_call(server: EmbeddedServer, mock_id: str) -> float:
    async def read() -> float:
        mock = await server.app[STATE].mocks.get("http", mock_id)
        return mock.last_call

    return server.await_in_loop(read)


def test_a_mock_deleted_while_the_body_is_read_answers_404(
    server: EmbeddedServer, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    added = admin.post(f"/preset/{mock_id}", json={"rule": "POST /x", "times": "FOREVER"})
    assert added.status_code == 200, added.text
    before = last_call(server, mock_id)

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(
            f"POST /mockhttp/{mock_id}/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Length: 5\r\nConnection: close\r\n\r\n".encode()
        )
        deadline = time.monotonic() + 5
        while last_call(server, mock_id) == before:  # the request has arrived at the mock
            assert time.monotonic() < deadline, "the request never reached the mock"
        assert admin.delete(f"/http/{mock_id}").status_code == 200
        connection.sendall(b"hello")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 404"), answer
    assert f"No matching http mock: {mock_id}".encode() in answer
