"""Small helpers shared by the connection tests."""

from __future__ import annotations

import httpx


def request(path: str, head: str = "", body: bytes = b"", method: str = "GET") -> bytes:
    """A raw HTTP/1.1 request."""
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode() + body


def new_mock(url: str, **preset: object) -> str:
    """A new HTTP mock on the server at ``url``, with one preset if given; its id."""
    mock_id = str(httpx.post(f"{url}/http", json={}).json()["id"])
    if preset:
        answer = httpx.post(f"{url}/preset/{mock_id}", json=preset)
        assert answer.status_code == 200, answer.text
    return mock_id
