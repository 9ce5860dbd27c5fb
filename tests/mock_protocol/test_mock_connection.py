"""The lean mock path (mock_protocol.py): mock requests served off the socket, everything
else handed to aiohttp mid-connection, with nothing lost or reordered in between."""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable

import httpx
import pytest

from tests.deployments.matrix import Deployed

pytestmark = pytest.mark.deployments


def request(path: str, head: str = "", body: bytes = b"", method: str = "GET") -> bytes:
    """A raw HTTP/1.1 request, with a Host the admin API accepts."""
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode() + body


def _preset(
    admin: httpx.Client, mock_id: str, rule: str | dict[str, str], body: bytes, **more: object
) -> None:
    answer = admin.post(
        f"/preset/{mock_id}",
        json={"rule": rule, "body": base64.b64encode(body).decode(), "times": "FOREVER", **more},
    )
    assert answer.status_code == 200, answer.text


def _read_responses(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """Read ``count`` responses (each with a Content-Length): (status, body) each."""
    data = b""
    found: list[tuple[int, bytes]] = []
    while len(found) < count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            head = data[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            end = head_end + 4 + length
            if len(data) >= end:
                found.append((int(head.split(" ")[1]), data[head_end + 4 : end]))
                data = data[end:]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"the server closed after {len(found)} of {count} responses"
        data += chunk
    return found


@pytest.fixture
def connect(server: Deployed) -> Callable[[], socket.socket]:
    def make() -> socket.socket:
        sock = socket.create_connection((server.host, server.port), timeout=10)
        return sock

    return make


def test_pipelined_mock_and_admin_requests_are_answered_in_order(
    admin: httpx.Client, new_mock: Callable[..., str], connect: Callable[[], socket.socket]
) -> None:
    mock_id = new_mock()
    _preset(admin, mock_id, "GET /a", b"first")
    _preset(admin, mock_id, "POST /b", b"second")
    pipelined = (
        request(f"/mockhttp/{mock_id}/a")
        + request(f"/mockhttp/{mock_id}/b", "Content-Length: 4\r\n", b"data", method="POST")
        + request(f"/history/{mock_id}")
        + request(f"/mockhttp/{mock_id}/a")  # back to a mock, now through aiohttp's route
    )
    with connect() as sock:
        sock.sendall(pipelined)
        answers = _read_responses(sock, 4)
    assert [status for status, _ in answers] == [200, 200, 200, 200]
    assert answers[0][1] == b"first"
    assert answers[1][1] == b"second"
    assert b'"body":"ZGF0YQ=="' in answers[2][1]  # the POST body, recorded before the read
    assert answers[3][1] == b"first"


def test_a_request_split_across_writes_is_served_whole(
    admin: httpx.Client, new_mock: Callable[..., str], connect: Callable[[], socket.socket]
) -> None:
    mock_id = new_mock()
    _preset(admin, mock_id, {"rule": "PUT /c", "body": "^abcdef$"}, b"ok")
    raw = request(f"/mockhttp/{mock_id}/c", "Content-Length: 6\r\n", b"abcdef", method="PUT")
    with connect() as sock:
        for piece in (raw[:7], raw[7:30], raw[30:-3], raw[-3:]):
            sock.sendall(piece)
        assert _read_responses(sock, 1) == [(200, b"ok")]
    assert admin.get(f"/history/{mock_id}").json()[0]["body"] == "YWJjZGVm"


@pytest.mark.parametrize(
    ("method", "head", "body"),
    [
        ("HEAD", "", b""),  # aiohttp's HEAD handling
        ("BREW", "Content-Length: 3\r\n", b"pot"),  # a method only aiohttp's parser takes
        ("POST", "Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
    ],
)
def test_requests_the_lean_path_does_not_serve_are_answered_by_aiohttp(
    admin: httpx.Client,
    new_mock: Callable[..., str],
    connect: Callable[[], socket.socket],
    method: str,
    head: str,
    body: bytes,
) -> None:
    mock_id = new_mock()
    _preset(admin, mock_id, "", b"any")
    with connect() as sock:
        sock.sendall(request(f"/mockhttp/{mock_id}/x", head, body, method=method))
        sock.sendall(request(f"/mockhttp/{mock_id}/y"))
        if method == "HEAD":
            data = b""
            while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"any"):
                chunk = sock.recv(65536)
                assert chunk
                data += chunk
        else:
            assert [status for status, _ in _read_responses(sock, 2)] == [200, 200]
    history = admin.get(f"/history/{mock_id}").json()
    assert [record["method"] for record in history] == [method, "GET"]
    if method == "POST":
        assert history[0]["body"] == base64.b64encode(b"abc").decode()


def test_a_request_with_connection_close_is_answered_then_closed(
    admin: httpx.Client, new_mock: Callable[..., str], connect: Callable[[], socket.socket]
) -> None:
    mock_id = new_mock()
    _preset(admin, mock_id, "", b"bye")
    with connect() as sock:
        sock.sendall(request(f"/mockhttp/{mock_id}/x", "Connection: close\r\n"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in data
    assert data.endswith(b"\r\n\r\nbye")


def test_statuses_without_a_body_send_none(
    admin: httpx.Client, new_mock: Callable[..., str], connect: Callable[[], socket.socket]
) -> None:
    mock_id = new_mock()
    _preset(admin, mock_id, "GET /gone", b"ignored", status=204)
    _preset(admin, mock_id, "GET /next", b"next")
    with connect() as sock:
        sock.sendall(request(f"/mockhttp/{mock_id}/gone") + request(f"/mockhttp/{mock_id}/next"))
        data = b""
        while not data.endswith(b"next"):
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    first, _, rest = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 204 No Content")
    assert b"content-length" not in first.lower()
    assert rest.startswith(b"HTTP/1.1 200 OK")  # nothing of "ignored" in between
