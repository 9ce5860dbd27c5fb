"""The lean mock path writes what aiohttp writes: the same requests, sent to a server on
the lean path and to one whose every request aiohttp serves (``--access-log``), get the
same bytes back, the ``Date`` header aside."""

from __future__ import annotations

import base64
import re
import socket
from collections.abc import Iterator

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer

PRESETS: list[dict[str, object]] = [
    {"rule": "GET /plain", "body": "hello"},
    {"rule": "GET /json", "body": '{"a": 1}', "headers": {"Content-Type": "application/json"}},
    {"rule": "GET /empty", "body": "", "status": 204},
    {"rule": "GET /not-modified", "body": "", "status": 304, "headers": {"ETag": '"x"'}},
    {"rule": "GET /odd-status", "body": "?", "status": 599},
    {"rule": "GET /created", "body": "made", "status": 201, "headers": {"X-One": "1"}},
    {"rule": "POST /echo", "body": "{{ request.body }}!", "template": True},
    {"rule": "GET /broken-template", "body": "{{ 1 / 0 }}", "template": True},
]
REQUESTS = [
    ("GET", "/plain", {}, b""),
    ("GET", "/json", {}, b""),
    ("GET", "/empty", {}, b""),
    ("GET", "/not-modified", {}, b""),
    ("GET", "/odd-status", {}, b""),
    ("GET", "/created", {}, b""),
    ("POST", "/echo", {"Content-Type": "text/plain"}, b"ping"),
    ("GET", "/broken-template", {}, b""),
    ("GET", "/no-preset-for-this", {}, b""),
    ("GET", "/plain", {"Connection": "close"}, b""),
]
_DATE = re.compile(rb"\r\nDate: [^\r]*")


def _mock(server: EmbeddedServer) -> str:
    with httpx.Client(base_url=server.url) as admin:
        mock_id = str(admin.post("/http", json={}).json()["id"])
        for preset in PRESETS:
            body = str(preset["body"]).encode()
            payload = {**preset, "body": base64.b64encode(body).decode(), "times": "FOREVER"}
            answer = admin.post(f"/preset/{mock_id}", json=payload)
            assert answer.status_code == 200, answer.text
    return mock_id


def _answer(
    server: EmbeddedServer, path: str, method: str, headers: dict[str, str], body: bytes
) -> bytes:
    """The whole response to one request on a new connection, its Date left out."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    request = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode() + body
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while (head_end := data.find(b"\r\n\r\n")) < 0 or len(data) < head_end + 4 + _length(
            data[:head_end]
        ):
            chunk = sock.recv(65536)
            assert chunk, f"the server closed before a whole response: {data!r}"
            data += chunk
    return _DATE.sub(b"", data)


def _length(head: bytes) -> int:
    found = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
    return int(found.group(1)) if found else 0


@pytest.fixture(scope="module")
def servers() -> Iterator[list[tuple[EmbeddedServer, str]]]:
    with EmbeddedServer() as lean, EmbeddedServer(access_log=True) as aiohttp_only:
        yield [(lean, _mock(lean)), (aiohttp_only, _mock(aiohttp_only))]


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
def test_a_mock_reply_is_the_same_bytes_on_both_paths(
    servers: list[tuple[EmbeddedServer, str]],
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    lean, aiohttp_only = (
        _answer(server, f"/mockhttp/{mock_id}{path}", method, headers, body)
        for server, mock_id in servers
    )
    assert lean.startswith(b"HTTP/1.1 ")
    assert lean == aiohttp_only


def test_an_unknown_mock_is_the_same_404_on_both_paths(
    servers: list[tuple[EmbeddedServer, str]],
) -> None:
    answers = [_answer(server, "/mockhttp/nobody-here/x", "GET", {}, b"") for server, _ in servers]
    assert answers[0].startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert answers[0] == answers[1]
