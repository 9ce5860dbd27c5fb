"""The alternating front: each request to the next backend, passed on and back unchanged."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import Future

import httpx
import pytest
from aiohttp import web

from pretenders.server.http_protocol import AnyMethodServer
from tests.deployments.front import AlternatingFront
from tests.raw_socket import connection, read_response


class NamedBackend:
    """A tiny server that answers its name and what it received, as JSON."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._stopped: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _answer(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        if request.raw_path.startswith("/relay"):
            response = web.Response(status=299, reason="Odd But Fine", body=b"raw\x00bytes")
            response.headers.add("Set-Cookie", "a=1")
            response.headers.add("Set-Cookie", "b=2")
            response.headers["Keep-Alive"] = "timeout=5"
            response.headers["X-Backend"] = self.name
            return response
        seen = {
            "name": self.name,
            "method": request.method,
            "path": request.raw_path,
            "headers": [[k.decode(), v.decode()] for k, v in request.raw_headers],
            "body": body.decode("latin-1"),
        }
        return web.json_response(seen)

    async def _serve(self, ready: Future[int]) -> None:
        self._stopped = asyncio.Event()
        server = AnyMethodServer(self._answer)
        listener = await asyncio.get_running_loop().create_server(server, "127.0.0.1", 0)
        ready.set_result(int(listener.sockets[0].getsockname()[1]))
        await self._stopped.wait()
        listener.close()
        await server.shutdown(0)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve(self._ready))

    def __enter__(self) -> NamedBackend:
        self._ready: Future[int] = Future()
        self._thread.start()
        self.port = self._ready.result(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._stopped is not None
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)
        self._loop.close()


def ask(front: AlternatingFront, request: bytes) -> tuple[int, bytes]:
    with connection(front.port) as sock:
        sock.sendall(request)
        return read_response(sock)


@pytest.fixture(scope="module")
def front() -> Iterator[AlternatingFront]:
    with (
        NamedBackend("A") as a,
        NamedBackend("B") as b,
        AlternatingFront([("127.0.0.1", a.port), ("127.0.0.1", b.port)]) as running,
    ):
        yield running


def test_requests_alternate_per_request_on_one_connection(front: AlternatingFront) -> None:
    with httpx.Client(base_url=front.url, timeout=10) as client:
        names = [client.get("/who").json()["name"] for _ in range(4)]
    first = names[0]
    assert names == [first, "B" if first == "A" else "A"] * 2


def test_method_raw_path_headers_and_body_go_through(front: AlternatingFront) -> None:
    head = (
        f"BREW /pot%2Fone/caf%C3%A9?q=a%20b&q=c+d HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{front.port}\r\n"
        "X-Twice: one\r\nx-twice: two\r\nContent-Type: text/plain\r\n"
        "Connection: keep-alive\r\nContent-Length: 5\r\n\r\n"
    )
    status, body = ask(front, head.encode() + b"hello")
    assert status == 200
    seen = json.loads(body)
    assert (seen["method"], seen["path"], seen["body"]) == (
        "BREW",
        "/pot%2Fone/caf%C3%A9?q=a%20b&q=c+d",
        "hello",
    )
    assert seen["headers"] == [
        ["Host", f"127.0.0.1:{front.port}"],
        ["X-Twice", "one"],
        ["X-Twice", "two"],
        ["Content-Type", "text/plain"],
        ["Content-Length", "5"],
    ], "the client's headers only, in order, hop-by-hop ones dropped"


def test_a_body_that_comes_in_many_reads_goes_through_whole(front: AlternatingFront) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB: many reads on the way
    response = httpx.post(front.url + "/big", content=body, timeout=10)
    assert response.json()["body"].encode("latin-1") == body


def test_status_reason_headers_and_body_come_back(front: AlternatingFront) -> None:
    response = httpx.get(front.url + "/relay", timeout=10)
    assert (response.status_code, response.reason_phrase) == (299, "Odd But Fine")
    assert response.content == b"raw\x00bytes"
    assert response.headers.get_list("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers["Content-Length"] == "9"
    assert "Keep-Alive" not in response.headers
    assert response.headers["X-Backend"] in {"A", "B"}


def test_a_request_without_body_gets_none_added(front: AlternatingFront) -> None:
    head = f"GET /plain HTTP/1.1\r\nHost: 127.0.0.1:{front.port}\r\n\r\n"
    status, body = ask(front, head.encode())
    assert status == 200
    assert json.loads(body)["headers"] == [["Host", f"127.0.0.1:{front.port}"]]


def test_a_backend_that_is_gone_is_a_502_naming_it() -> None:
    with NamedBackend("A") as alive:
        pass
    with AlternatingFront([("127.0.0.1", alive.port)]) as front:
        response = httpx.get(front.url + "/x", timeout=10)
    assert response.status_code == 502
    assert f"no reply from 127.0.0.1:{alive.port}" in response.text
    assert list(front.forwarded) == [0]


def test_the_front_needs_a_backend() -> None:
    with pytest.raises(ValueError, match="at least one backend"):
        AlternatingFront([])
