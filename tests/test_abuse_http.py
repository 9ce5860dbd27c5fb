"""Malformed HTTP to the mock endpoints: the server answers with a 4xx or closes that
connection, and keeps serving everyone else with nothing recorded lost."""

from __future__ import annotations

import base64
import logging
import random
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.raw_socket import (
    connection,
    exchange,
    read_response,
    read_until_closed,
    reset,
    status_of,
    tls_client_hello,
)
from tests.waiting import wait_until

REFUSED = {400, 413, 414, 431}
"""What a server may answer to a request it cannot parse (or it closes the connection)."""


@dataclass
class Victim:
    """A mock that already served requests; a test adds what it expects to be recorded."""

    id: str
    admin: httpx.Client
    port: int
    expected: list[str] = field(default_factory=lambda: ["/ok", "/before"])

    @property
    def path(self) -> str:
        return f"/mockhttp/{self.id}"

    def urls(self) -> list[str]:
        return [record["url"] for record in self.admin.get(f"/history/{self.id}").json()]

    def check_intact(self) -> None:
        """The mock still serves, on a new connection, and its history is all there."""
        served = self.admin.get(f"{self.path}/ok")
        assert (served.status_code, served.content) == (200, b"ok")
        assert self.urls() == [*self.expected, "/ok"], "recorded requests were lost or invented"


@pytest.fixture
def victim(
    admin: httpx.Client, new_mock: Callable[..., str], server: EmbeddedServer
) -> Iterator[Victim]:
    mock_id = new_mock()
    ok = base64.b64encode(b"ok").decode()
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /ok", "body": ok, "times": "FOREVER"})
    found = Victim(mock_id, admin, server.port)
    assert admin.get(f"{found.path}/ok").status_code == 200
    assert admin.get(f"{found.path}/before").status_code == 404
    yield found
    found.check_intact()


def request(path: str, head: str = "", body: bytes = b"", method: str = "GET") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode() + body


MALFORMED: dict[str, Callable[[str], bytes]] = {
    "garbage request line": lambda p: b"GARBAGE\r\n\r\n",
    "method alone": lambda p: b"GET\r\n\r\n",
    "unknown HTTP version": lambda p: f"GET {p}/v HTTP/9.9\r\nHost: x\r\n\r\n".encode(),
    "spaces in the target": lambda p: f"GET {p}/a b c HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    "NUL in the target": lambda p: f"GET {p}/a\x00b HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    "method with a bracket": lambda p: f"G(ET {p}/m HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    "control bytes": lambda p: b"\x00\x01\x02\xff\r\n\r\n",
    "random bytes": lambda p: random.Random(8).randbytes(4096),
    "TLS ClientHello": lambda p: tls_client_hello(),
    "header without a colon": lambda p: request(f"{p}/h", "No colon here\r\n"),
    "header name with a space": lambda p: request(f"{p}/h", "Bad Name: x\r\n"),
    "folded header": lambda p: request(f"{p}/h", "X-Fold: a\r\n b\r\n"),
    "100 KB header": lambda p: request(f"{p}/h", "X-Big: " + "x" * 100_000 + "\r\n"),
    "2000 headers": lambda p: request(f"{p}/h", "".join(f"X-{i}: v\r\n" for i in range(2000))),
    "100 KB target": lambda p: request(f"{p}/" + "x" * 100_000),
    "bad chunk size": lambda p: request(f"{p}/c", "Transfer-Encoding: chunked\r\n", b"ZZ\r\n\r\n"),
    "length and chunked": lambda p: request(
        f"{p}/c", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n", "POST"
    ),
    "negative length": lambda p: request(f"{p}/c", "Content-Length: -1\r\n", method="POST"),
    "length a word": lambda p: request(f"{p}/c", "Content-Length: abc\r\n", method="POST"),
    "two lengths": lambda p: request(
        f"{p}/c", "Content-Length: 1\r\nContent-Length: 2\r\n", b"ab", "POST"
    ),
    "length of 20 digits": lambda p: request(
        f"{p}/c", "Content-Length: 99999999999999999999\r\n", method="POST"
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_requests_are_refused_and_never_recorded(victim: Victim, case: str) -> None:
    reply = exchange(victim.port, MALFORMED[case](victim.path))
    assert status_of(reply) in REFUSED | {None}, reply[:300]


LENIENT_FALLBACK = {"unknown HTTP version", "length of 20 digits"}
"""Accepted by aiohttp's Python parser: HTTP/9.9 is served, a 20-digit length waits for
its body (harmless either way)."""


@pytest.mark.parametrize("case", [case for case in MALFORMED if case not in LENIENT_FALLBACK])
def test_malformed_requests_after_a_method_llhttp_does_not_know(victim: Victim, case: str) -> None:
    """Such a method moves the connection to aiohttp's Python parser (see http_protocol),
    which must refuse the same requests."""
    with connection(victim.port) as sock:
        sock.sendall(request(f"{victim.path}/pot", method="BREW"))
        assert read_response(sock)[0] == 404
        sock.sendall(MALFORMED[case](victim.path))
        reply = read_until_closed(sock)
    assert status_of(reply) in REFUSED | {None}, reply[:300]
    victim.expected.append("/pot")


LEFT_EARLY: dict[str, Callable[[str], bytes]] = {
    "in the request line": lambda p: f"GET {p}/cut".encode(),
    "in the headers": lambda p: f"GET {p}/cut HTTP/1.1\r\nHost: x\r\nX-Half: ".encode(),
    "in a sized body": lambda p: request(f"{p}/cut", "Content-Length: 1000\r\n", b"abc", "POST"),
    "in a chunked body": lambda p: request(
        f"{p}/cut", "Transfer-Encoding: chunked\r\n", b"5\r\nab", "POST"
    ),
}


@pytest.mark.parametrize("how", ["closing", "resetting"])
@pytest.mark.parametrize("case", LEFT_EARLY)
def test_a_client_leaving_mid_request_leaves_nothing_recorded(
    victim: Victim, case: str, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = LEFT_EARLY[case](victim.path)
    if how == "closing":
        assert exchange(victim.port, data, half_close=True) == b""
    else:
        with connection(victim.port) as sock:
            sock.sendall(data)
            reset(sock)
    # Served after the server saw the client leave: by then it has logged any error.
    assert victim.admin.get(f"{victim.path}/ok").content == b"ok"
    victim.expected.append("/ok")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, "a client leaving is no server error"


def test_garbage_after_a_good_request_on_one_connection(victim: Victim) -> None:
    with connection(victim.port) as sock:
        sock.sendall(request(f"{victim.path}/ok"))
        assert read_response(sock) == (200, b"ok")
        sock.sendall(b"GARBAGE\r\n\r\n")
        assert status_of(read_until_closed(sock)) == 400
    victim.expected.append("/ok")


@pytest.mark.parametrize("leave", [socket.socket.close, reset], ids=["closing", "resetting"])
def test_a_client_leaving_during_a_delayed_reply(
    victim: Victim, leave: Callable[[socket.socket], None], caplog: pytest.LogCaptureFixture
) -> None:
    admin = victim.admin
    for name in ("slow", "barrier"):
        body = base64.b64encode(name.encode()).decode()
        preset = {"rule": f"GET /{name}$", "body": body, "after": 0.3}
        assert admin.post(f"/preset/{victim.id}", json=preset).status_code == 200
    sock = socket.create_connection(("127.0.0.1", victim.port), timeout=5)
    sock.sendall(request(f"{victim.path}/slow"))
    wait_until(lambda: "/slow" in victim.urls(), timeout=5)
    leave(sock)
    # Answered at once while the abandoned reply is still waiting out its delay:
    assert admin.get(f"{victim.path}/ok").content == b"ok"
    # Delays of the same length end in the order they began: once this one is answered,
    # the server has tried to answer the client that left.
    assert admin.get(f"{victim.path}/barrier").content == b"barrier"
    records = admin.get(f"/history/{victim.id}").json()
    slow = next(record for record in records if record["url"] == "/slow")
    assert (slow["status"], slow["matched"]) == (200, True)
    assert [p["rule"]["rule"] for p in admin.get(f"/preset/{victim.id}").json()] == ["GET /ok"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    victim.expected += ["/slow", "/ok", "/barrier"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_body_that_is_not_in_its_content_encoding_is_a_400(victim: Victim, encoding: str) -> None:
    admin = victim.admin
    headers = {"Content-Encoding": encoding}
    answer = admin.post(f"{victim.path}/zipped", content=b"plain text", headers=headers)
    assert answer.status_code == 400
    assert answer.text.startswith("the request body could not be read: Can not decode")
    assert answer.headers["Connection"] == "close", "nothing can be read past that body"
    error = admin.post("/http", content=b'{"name": "zipped"}', headers=headers)
    assert (error.status_code, error.headers["Connection"]) == (400, "close")
    assert "could not be read" in error.json()["errors"][0]["message"]


def test_a_header_value_that_is_not_utf8_is_recorded_readably(victim: Victim) -> None:
    sent = request(f"{victim.path}/latin", "X-Name: caf\xe9\r\nConnection: close\r\n")
    assert status_of(exchange(victim.port, sent.replace(b"caf\xc3\xa9", b"caf\xe9"))) == 404
    latest = victim.admin.get(f"/history/{victim.id}/-1").json()
    assert (latest["url"], latest["headers"]["X-Name"]) == ("/latin", "caf\ufffd")
    victim.expected.append("/latin")


def test_a_multipart_part_naming_an_unknown_charset_is_matched(victim: Victim) -> None:
    """Such a part once made the form reader raise: a 500, and the request not recorded."""
    rule = {"rule": "POST /form", "data": {"f": "v"}}
    victim.admin.post(f"/preset/{victim.id}", json={"rule": rule, "body": "Zm9ybQ=="})
    body = (
        b'--B\r\nContent-Disposition: form-data; name="f"\r\n'
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nv\r\n--B--\r\n"
    )
    headers = {"Content-Type": "multipart/form-data; boundary=B"}
    answer = victim.admin.post(f"{victim.path}/form", content=body, headers=headers)
    assert (answer.status_code, answer.content) == (200, b"form")
    victim.expected.append("/form")


def test_a_crowd_of_bad_clients_does_not_stop_the_server(victim: Victim) -> None:
    """While 100 clients hold half-sent requests open and 20 more send garbage, everyone
    else is served."""
    idle = [socket.create_connection(("127.0.0.1", victim.port), timeout=5) for _ in range(100)]
    try:
        for number, sock in enumerate(idle):
            sock.sendall(f"GET {victim.path}/idle{number} HTTP/1.1\r\nHost: x\r\nX-".encode())
        answers: list[int | None] = []

        def send_garbage(seed: int) -> None:
            answers.append(status_of(exchange(victim.port, random.Random(seed).randbytes(2048))))

        garbage = [threading.Thread(target=send_garbage, args=(seed,)) for seed in range(20)]
        for thread in garbage:
            thread.start()
        for _ in range(20):
            assert victim.admin.get(f"{victim.path}/ok").content == b"ok"
        for thread in garbage:
            thread.join(timeout=10)
        assert len(answers) == 20
        assert set(answers) <= REFUSED | {None}
    finally:
        for sock in idle:
            sock.close()
    victim.expected += ["/ok"] * 20
