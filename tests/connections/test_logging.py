"""Unparsable requests and unreadable bodies log one quiet line each, never a traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import httpx
import pytest
from aiohttp import web

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.http_protocol import AnyMethodAppRunner
from tests.raw_socket import exchange, status_of
from tests.waiting import wait_until

GARBAGE = {
    "binary": b"\x00\x01\x02garbage\r\n\r\n",
    "bad request line": b"GARBAGE\r\n\r\n",
    "method alone": b"GET\r\n\r\n",
    "unknown HTTP version": b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
    "bad header": b"GET /health HTTP/1.1\r\nNo colon here\r\n\r\n",
}


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer() as running:
        yield running


def settled(server: EmbeddedServer) -> None:
    """Once the server answers a later request, it has logged whatever the earlier one caused."""
    wait_until(lambda: httpx.get(f"{server.url}/health").status_code == 200, timeout=5)


def server_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("aiohttp", "pretenders", "asyncio"))]


@pytest.mark.parametrize("case", GARBAGE)
def test_an_unparsable_request_is_a_400_and_one_debug_line(
    server: EmbeddedServer, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert status_of(exchange(server.port, GARBAGE[case])) == 400
    settled(server)
    lines = [r for r in server_lines(caplog) if "unparsable request" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.DEBUG
    assert not [r for r in server_lines(caplog) if r.exc_info or r.levelno >= logging.WARNING]


@pytest.mark.parametrize("path", ["/http", "/mockhttp/gzip/x"])
def test_a_body_that_is_not_gzip_is_a_400_without_a_traceback(
    server: EmbeddedServer, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    if path.startswith("/mockhttp/"):
        httpx.post(f"{server.url}/http", json={"name": "gzip"})
    headers = {"Content-Encoding": "gzip"}
    answer = httpx.post(f"{server.url}{path}", content=b'{"name": "x"}', headers=headers)
    assert answer.status_code == 400
    assert "could not be read" in answer.text
    settled(server)
    assert not [r for r in server_lines(caplog) if r.exc_info or r.levelno >= logging.WARNING]
    assert len([r for r in server_lines(caplog) if "dropped the rest" in r.getMessage()]) <= 1


def test_a_handler_error_is_still_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The quiet path is for what clients send wrong: a bug in a handler stays an error."""

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    async def run() -> int:
        app = web.Application()
        app.router.add_get("/broken", broken)
        runner = AnyMethodAppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{port}/broken")).status_code
        finally:
            await runner.cleanup()

    assert asyncio.run(run()) == 500
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert [str(r.exc_info[1]) for r in errors if r.exc_info] == ["a bug"]
