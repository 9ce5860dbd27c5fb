"""The sync client's own HTTP/1.1 connections against a scripted server: kept alive and
reused, replaced when the server closed them, retried once when a reused one fails, and
every way an answer can be framed."""

from __future__ import annotations

import http.client
import io
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from pretenders.client import _operations as ops
from pretenders.client._admin import MAX_IDLE, AdminConnection
from pretenders.client.http import HTTPMock
from pretenders.common.exceptions import ServerUnreachable

TIMEOUT = 5.0

JSON_LIST = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"


@dataclass
class Seen:
    """What the scripted server received."""

    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    """Each request's head and body."""
    lock: threading.Lock = field(default_factory=threading.Lock)


Script = Callable[[int, int], tuple[bytes | None, bool]]
"""(request number over all, request number on its connection) -> (what to send, None
for nothing; whether to close the connection after it)."""


def _read_request(reader: socketserver.StreamRequestHandler) -> bytes | None:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.rfile.readline(65537)
        if not line:
            return None
        head += line
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + reader.rfile.read(length)


@contextmanager
def scripted_server(script: Script) -> Iterator[tuple[int, Seen]]:
    """A raw HTTP/1.1 server on 127.0.0.1 answering as ``script`` says."""
    seen = Seen()

    class Handler(socketserver.StreamRequestHandler):
        timeout = TIMEOUT

        def handle(self) -> None:
            with seen.lock:
                seen.connections += 1
            on_connection = 0
            while True:
                request = _read_request(self)
                if request is None:
                    return
                with seen.lock:
                    number = len(seen.requests)
                    seen.requests.append(request)
                answer, close = script(number, on_connection)
                on_connection += 1
                if answer is not None:
                    self.wfile.write(answer)
                    self.wfile.flush()
                if close:
                    return

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


def history(admin: AdminConnection) -> object:
    return admin.run(ops.requests("m"))


def test_one_kept_alive_connection_carries_every_call() -> None:
    with scripted_server(lambda number, _: (JSON_LIST, False)) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            for _ in range(5):
                assert history(admin) == []
        finally:
            admin.close()
    assert seen.connections == 1
    assert len(seen.requests) == 5


def test_a_request_is_written_whole_with_its_body() -> None:
    created = b'HTTP/1.1 200 OK\r\nContent-Length: 29\r\n\r\n{"id": "m", "path": "/mock"}\n'
    with scripted_server(lambda number, _: (created, False)) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT, token="s3cret")
        try:
            answer = admin.run(ops.create_mock("http", "named", None))
        finally:
            admin.close()
    assert answer == {"id": "m", "path": "/mock"}
    head, _, body = seen.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /http HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{port}".encode() in head
    assert b"Authorization: Bearer s3cret" in head
    assert b"Content-Type: application/json" in head
    assert body == b'{"name":"named"}'


def test_a_connection_the_server_closed_after_answering_is_replaced_before_use() -> None:
    # Every answer says keep-alive, then the server closes: the client must notice the
    # close on the idle connection and open another, without a failed call.
    with scripted_server(lambda number, _: (JSON_LIST, True)) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            for _ in range(3):
                assert history(admin) == []
        finally:
            admin.close()
    assert seen.connections == 3
    assert len(seen.requests) == 3


def test_a_reused_connection_closed_without_an_answer_is_retried_once() -> None:
    # The second request on the first connection is read and dropped, as when the server
    # closes an idle connection just as the request arrives.
    def script(number: int, on_connection: int) -> tuple[bytes | None, bool]:
        if number == 1:
            return None, True
        return JSON_LIST, False

    with scripted_server(script) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            assert history(admin) == []
            assert history(admin) == []
        finally:
            admin.close()
    assert len(seen.requests) == 3
    assert seen.connections == 2


def test_a_call_is_retried_only_once() -> None:
    def script(number: int, on_connection: int) -> tuple[bytes | None, bool]:
        return (JSON_LIST, False) if number == 0 else (None, True)

    with scripted_server(script) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            assert history(admin) == []
            with pytest.raises(ServerUnreachable):
                history(admin)
        finally:
            admin.close()
    assert len(seen.requests) == 3


def test_a_post_read_and_dropped_on_a_reused_connection_is_not_sent_again() -> None:
    # The server may have applied it: adding the preset twice would be worse than an error.
    def script(number: int, on_connection: int) -> tuple[bytes | None, bool]:
        if number == 1:
            return None, True
        return JSON_LIST, False

    with scripted_server(script) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            assert history(admin) == []
            with pytest.raises(ServerUnreachable):
                admin.run(ops.add_preset("m", ops.preset_payload("GET /a")))
        finally:
            admin.close()
    assert len(seen.requests) == 2


def test_a_new_connection_closed_without_an_answer_is_not_retried() -> None:
    with scripted_server(lambda number, _: (None, True)) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        with pytest.raises(ServerUnreachable, match="cannot reach the pretenders server"):
            history(admin)
        admin.close()
    assert len(seen.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"1;ext=1\r\n[\r\n3\r\n{}]\r\n0\r\nX-Trailer: t\r\n\r\n",
            id="chunked",
        ),
        pytest.param(
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-A: 1\r\nX-A: 2\r\n\r\n[{}]",
            id="after-an-interim-answer",
        ),
    ],
)
def test_answers_framed_otherwise_are_read_whole_and_the_connection_kept(answer: bytes) -> None:
    with scripted_server(lambda number, _: (answer, False)) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            for _ in range(2):
                assert len(admin.run(ops.requests("m"))) == 1
        finally:
            admin.close()
    assert seen.connections == 1


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n[]", id="http-1.0"),
        pytest.param(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[]", id="until-closed"),
    ],
)
def test_an_answer_that_ends_the_connection_gets_a_new_one_next(answer: bytes) -> None:
    with scripted_server(lambda number, _: (answer, True)) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            assert history(admin) == []
            assert history(admin) == []
        finally:
            admin.close()
    assert seen.connections == 2


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"garbage\r\n\r\n", id="no-status-line"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[]", id="short-body"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n[]", id="bad-length"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", id="bad-chunk"
        ),
    ],
)
def test_a_malformed_answer_is_server_unreachable(answer: bytes) -> None:
    with scripted_server(lambda number, _: (answer, True)) as (port, _):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        with pytest.raises(ServerUnreachable):
            history(admin)
        admin.close()


def test_a_mock_id_a_request_line_cannot_carry_is_refused_before_sending() -> None:
    with scripted_server(lambda number, _: (JSON_LIST, False)) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        with pytest.raises(ServerUnreachable, match="control characters"):
            admin.run(ops.requests("a b"))
        admin.close()
    assert seen.requests == []


def test_a_token_that_would_add_a_header_line_is_refused_before_sending() -> None:
    with scripted_server(lambda number, _: (JSON_LIST, False)) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT, token="t\r\nX-Evil: 1")
        with pytest.raises(ValueError, match="Invalid header value"):
            history(admin)
        admin.close()
    assert seen.requests == []


def test_a_mock_reuses_its_connection_with_a_real_server(mock: HTTPMock) -> None:
    mock.when("GET /a").reply("a")
    idle = list(mock.admin._idle)  # what the last call left idle
    for _ in range(3):
        mock.get_request()
        mock.when("GET /b").reply("b")
    assert mock.admin._idle == idle


CREATED = b'HTTP/1.1 200 OK\r\nContent-Length: 28\r\n\r\n{"id": "m", "path": "/mock"}'


def test_mocks_of_one_server_share_its_connections() -> None:
    with scripted_server(lambda number, _: (CREATED, False)) as (port, seen):
        first = HTTPMock("127.0.0.1", port)
        second = HTTPMock("127.0.0.1", port)
        del first  # a mock dropped without close() leaves its connection to the next
        third = HTTPMock("127.0.0.1", port)
        second.close()
        third.close()
    assert len(seen.requests) == 3
    assert seen.connections == 1


def test_idle_connections_kept_are_bounded() -> None:
    barrier = threading.Barrier(MAX_IDLE + 2, timeout=TIMEOUT)

    def script(number: int, on_connection: int) -> tuple[bytes | None, bool]:
        if on_connection == 0:
            barrier.wait()  # every thread holds a connection at once
        return JSON_LIST, False

    with scripted_server(script) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        threads = [threading.Thread(target=history, args=(admin,)) for _ in range(MAX_IDLE + 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * 2)
        assert len(admin._idle) == MAX_IDLE
        admin.close()
        assert admin._idle == []
    assert seen.connections == MAX_IDLE + 2


def test_threads_each_get_a_connection_of_their_own() -> None:
    barrier = threading.Barrier(4, timeout=TIMEOUT)

    def script(number: int, on_connection: int) -> tuple[bytes | None, bool]:
        return JSON_LIST, False

    with scripted_server(script) as (port, seen):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                barrier.wait()
                for _ in range(10):
                    assert history(admin) == []
            except BaseException as error:  # collected for the assertion below
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * 2)
        admin.close()
    assert errors == []
    assert len(seen.requests) == 40
    assert 1 <= seen.connections <= 4


def test_a_closed_client_closes_its_idle_connections() -> None:
    with scripted_server(lambda number, _: (JSON_LIST, False)) as (port, _):
        admin = AdminConnection("127.0.0.1", port, timeout=TIMEOUT)
        history(admin)
        (connection,) = admin._idle
        admin.close()
        assert connection.sock.fileno() == -1
        assert isinstance(connection.sock, socket.socket)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"HTTP/1.1 200 OK\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", "more than 100 headers"),
        (b"HTTP/1.1 200 OK\r\nX-A: " + b"a" * 300_000 + b"\r\n\r\n", "head past"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "IncompleteRead"),
        (b"not http at all\r\n\r\n", "malformed answer"),
    ],
)
def test_an_answer_past_the_bounds_or_malformed_is_refused(answer: bytes, error: str) -> None:
    from pretenders.client._http1 import read_answer

    with pytest.raises(http.client.HTTPException) as refused:
        read_answer(io.BufferedReader(io.BytesIO(answer)), "GET")
    assert error in f"{type(refused.value).__name__} {refused.value}"
