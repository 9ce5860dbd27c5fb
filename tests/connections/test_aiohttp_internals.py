"""Fails loudly when an aiohttp release changes the internals http_protocol.py relies on.

Each name below is private to aiohttp: if one moves, the connection limit, the timeouts,
the prompt shutdown or the quiet logging would break in ways other tests show only as
hangs or flaky failures. Fix http_protocol.py for the new release, then widen the
aiohttp bound in pyproject.toml.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest
from aiohttp import web, web_runner
from aiohttp.web_protocol import RequestHandler


async def _answer(request: web.BaseRequest) -> web.StreamResponse:
    return web.Response()


HANDLER_ATTRIBUTES = [
    "_parser",
    "_read_bufsize",
    "_messages",
    "_request_in_progress",
    "_current_request",
    "_task_handler",
    "_next_keepalive_close_time",
    "_keepalive_handle",
    "_waiter",
    "_force_close",
    "_close",
    "_loop",
    "_manager",
]


@pytest.mark.parametrize("name", HANDLER_ATTRIBUTES)
def test_the_request_handler_keeps_its_private_state(name: str) -> None:
    async def make() -> RequestHandler:
        server = web.Server(_answer)
        return RequestHandler(server, loop=asyncio.get_running_loop())

    handler = asyncio.run(make())
    assert hasattr(handler, name), f"aiohttp's RequestHandler has no {name} any more"


def test_the_low_level_server_keeps_its_private_state() -> None:
    async def make() -> web.Server:
        return web.Server(_answer)

    server = asyncio.run(make())
    for name in ("_connections", "_kwargs", "_loop", "request_factory", "handler_cancellation"):
        assert hasattr(server, name), f"aiohttp's Server has no {name} any more"
    assert isinstance(server._connections, dict)
    assert list(inspect.signature(server.shutdown).parameters) == ["timeout"]


def test_the_runner_makes_its_server_and_shuts_it_down_with_its_timeout() -> None:
    assert hasattr(web.AppRunner, "_make_server")
    cleanup = inspect.getsource(web_runner.BaseRunner.cleanup)
    assert "self._server.shutdown(self._shutdown_timeout)" in cleanup
    assert "self._server.pre_shutdown()" in cleanup


def test_the_handler_reports_errors_through_the_methods_overridden() -> None:
    parameters = list(inspect.signature(RequestHandler.handle_error).parameters)
    assert parameters == ["self", "request", "status", "exc", "message"]
    source = inspect.getsource(RequestHandler)
    assert 'self.log_exception("Unhandled exception", exc_info=exc)' in source
    assert "request, err_info.status, err_info.exc, err_info.message" in source
    # The idle timer reschedules itself to _next_keepalive_close_time, which the header
    # timeout pushes back so as not to cut a head still within its time.
    keepalive = inspect.getsource(RequestHandler._process_keepalive)
    assert "close_time = self._next_keepalive_close_time" in keepalive
    assert "if now < close_time:" in keepalive
