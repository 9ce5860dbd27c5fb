"""Each network fault as real clients see it (httpx, the standard library, raw sockets),
and recorded in history before the connection breaks."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Callable

import httpx
import pytest

from pretenders.server.faults import BAD_CHUNK, GARBAGE_SIZE
from tests.raw_socket import TIMEOUT, connection
from tests.replies_faults.helpers import add, preset, raw_get


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _read_all(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_reset_is_a_connection_reset(admin: httpx.Client, new_mock: Callable[..., str]) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /reset", fault="reset", times="FOREVER")
    with pytest.raises(httpx.ReadError) as raised:
        admin.get(f"/mockhttp/{mock_id}/reset")
    assert _caused_by(raised.value, ConnectionResetError), repr(raised.value)
    with connection(admin_port(admin)) as sock:
        sock.sendall(raw_get(f"/mockhttp/{mock_id}/reset"))
        with pytest.raises(ConnectionResetError):
            _read_all(sock)


def test_empty_closes_without_a_byte(admin: httpx.Client, new_mock: Callable[..., str]) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /empty", fault="empty", times="FOREVER")
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        admin.get(f"/mockhttp/{mock_id}/empty")
    with connection(admin_port(admin)) as sock:
        sock.sendall(raw_get(f"/mockhttp/{mock_id}/empty"))
        assert _read_all(sock) == b""  # an orderly close (FIN), not a reset


def test_garbage_fails_the_clients_parser(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /garbage", fault="garbage", times="FOREVER")
    with pytest.raises(httpx.RemoteProtocolError, match="illegal status line"):
        admin.get(f"/mockhttp/{mock_id}/garbage")
    with connection(admin_port(admin)) as sock:
        sock.sendall(raw_get(f"/mockhttp/{mock_id}/garbage"))
        received = _read_all(sock)
    assert len(received) == GARBAGE_SIZE + 4
    assert not received.startswith(b"HTTP/")
    plain = http.client.HTTPConnection("127.0.0.1", admin_port(admin), timeout=TIMEOUT)
    try:
        plain.request("GET", f"/mockhttp/{mock_id}/garbage")
        with pytest.raises(http.client.BadStatusLine):
            plain.getresponse()
    finally:
        plain.close()


def test_a_malformed_chunk_fails_the_clients_parser(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    add(
        admin,
        mock_id,
        rule="GET /chunk",
        fault="malformed_chunk",
        status=201,
        headers={"X-Kind": "broken"},
        body="never sent",
        times="FOREVER",
    )
    with pytest.raises(httpx.RemoteProtocolError, match="illegal chunk header"):
        admin.get(f"/mockhttp/{mock_id}/chunk")
    with connection(admin_port(admin)) as sock:
        sock.sendall(raw_get(f"/mockhttp/{mock_id}/chunk"))
        received = _read_all(sock)
    head, rest = received.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 201 Created"
    assert b"Transfer-Encoding: chunked" in lines
    assert b"X-Kind: broken" in lines
    assert not any(line.lower().startswith(b"content-length") for line in lines)
    assert rest == BAD_CHUNK
    plain = http.client.HTTPConnection("127.0.0.1", admin_port(admin), timeout=TIMEOUT)
    try:
        plain.request("GET", f"/mockhttp/{mock_id}/chunk")
        response = plain.getresponse()
        assert response.status == 201
        with pytest.raises(http.client.IncompleteRead):
            response.read()
    finally:
        plain.close()


def test_history_records_each_fault_before_it_is_done(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    faults = ["reset", "empty", "garbage", "malformed_chunk"]
    for fault in faults:
        add(admin, mock_id, rule=f"GET /{fault}", fault=fault)
        with pytest.raises(httpx.TransportError):
            admin.get(f"/mockhttp/{mock_id}/{fault}")
    records = admin.get(f"/history/{mock_id}").json()
    assert [(r["url"], r["fault"], r["status"], r["matched"]) for r in records] == [
        ("/reset", "reset", None, True),
        ("/empty", "empty", None, True),
        ("/garbage", "garbage", None, True),
        ("/malformed_chunk", "malformed_chunk", 200, True),  # its status line was sent
    ]
    plain = admin.get(f"/mockhttp/{mock_id}/after")  # the server still answers
    assert plain.status_code == 404
    assert admin.get(f"/history/{mock_id}/4").json()["fault"] is None


def test_a_fault_after_a_drawn_delay(admin: httpx.Client, new_mock: Callable[..., str]) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /slow", fault="empty", delay={"fixed": 0.05})
    with pytest.raises(httpx.RemoteProtocolError):
        admin.get(f"/mockhttp/{mock_id}/slow")
    (record,) = admin.get(f"/history/{mock_id}").json()
    assert (record["fault"], record["delay"]) == ("empty", 0.05)


def test_preset_out_shows_the_fault_and_a_plain_preset_shows_none(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /plain")
    add(admin, mock_id, rule="GET /reset", fault="reset")
    plain, faulty = admin.get(f"/preset/{mock_id}").json()
    assert not {"fault", "pacing", "delay"} & plain.keys()
    assert faulty["fault"] == "reset"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"fault": "explode"}, "fault", "must be one of reset, empty, garbage, malformed_chunk"),
        ({"fault": 3}, "fault", "Expected `str | null`"),
        (
            {"fault": "reset", "pacing": {"chunks": 2, "over": 1}},
            "pacing",
            "sends no body to pace",
        ),
    ],
)
def test_a_bad_fault_is_a_400_naming_the_field(
    admin: httpx.Client,
    new_mock: Callable[..., str],
    fields: dict[str, object],
    field: str,
    words: str,
) -> None:
    mock_id = new_mock()
    answer = preset(admin, mock_id, rule="GET /x", **fields)
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error["field"] == field
    assert words in error["message"]
    assert admin.get(f"/preset/{mock_id}").json() == []


def admin_port(admin: httpx.Client) -> int:
    port = admin.base_url.port
    assert port is not None
    return port
