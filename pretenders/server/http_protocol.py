"""HTTP connections that accept any method token, at the speed of aiohttp's C parser.

aiohttp parses requests with llhttp, which knows a fixed list of methods and answers
400 to any other token (``BREW /pot``). A fake service must accept whatever the code
under test sends, so each connection starts on the fast parser and moves to aiohttp's
pure-Python parser, which accepts any token, the first time llhttp rejects a method.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, HttpProcessingError
from aiohttp.http_parser import HttpRequestParser, HttpRequestParserPy
from aiohttp.web_protocol import MAX_MSG_QUEUE_SIZE, RequestHandler, RequestPayloadError

_TLS_HANDSHAKE = b"\x16\x03"


class AnyMethodParser:
    """Delegates to the C parser until it rejects a method, then to the Python parser.

    llhttp raises before it hands over any message of the chunk it rejects, so feeding
    that same chunk to the Python parser loses nothing, unless a method token was split
    across two reads in a pipelined stream (the first read's bytes are then gone).
    """

    __slots__ = ("_active", "_fallen_back", "_make_fallback")

    def __init__(self, fast: Any, make_fallback: Any) -> None:
        self._active = fast
        self._make_fallback = make_fallback
        self._fallen_back = False

    def feed_data(self, data: bytes, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._active.feed_data(data, *args, **kwargs)
        except BadHttpMethod:
            if self._fallen_back or data.startswith(_TLS_HANDSHAKE):
                raise
            self._fallen_back = True
            self._active = self._make_fallback()
            return self._active.feed_data(data, *args, **kwargs)

    def feed_eof(self) -> Any:
        return self._active.feed_eof()

    def message_consumed(self) -> None:
        self._active.message_consumed()

    def pause_reading(self) -> None:
        self._active.pause_reading()

    def set_upgraded(self, value: bool) -> None:
        self._active.set_upgraded(value)


class AnyMethodRequestHandler(RequestHandler):
    """aiohttp's connection handler with an :class:`AnyMethodParser`, which also tells
    long-running handlers when their client goes away (see :func:`on_disconnect`)."""

    __slots__ = ("disconnect_callbacks",)

    def __init__(self, manager: web.Server, *, loop: Any, **kwargs: Any) -> None:
        super().__init__(manager, loop=loop, **kwargs)
        self.disconnect_callbacks: list[Callable[[], object]] = []
        if HttpRequestParser is HttpRequestParserPy:
            return  # no C extension: the Python parser already takes any method
        limits = {
            "max_line_size": kwargs.get("max_line_size", 8190),
            "max_field_size": kwargs.get("max_field_size", 8190),
            "max_headers": kwargs.get("max_headers", 128),
        }

        def make_fallback() -> Any:
            return HttpRequestParserPy(
                self,
                loop,
                self._read_bufsize,
                payload_exception=RequestPayloadError,
                auto_decompress=kwargs.get("auto_decompress", True),
                max_msg_queue_size=MAX_MSG_QUEUE_SIZE,
                **limits,
            )

        self._parser = AnyMethodParser(self._parser, make_fallback)  # type: ignore[assignment]

    def connection_lost(self, exc: BaseException | None) -> None:
        super().connection_lost(exc)
        callbacks, self.disconnect_callbacks = self.disconnect_callbacks, []
        for callback in callbacks:
            callback()


def on_disconnect(request: web.BaseRequest, callback: Callable[[], object]) -> Callable[[], None]:
    """Call ``callback`` once if the client closes the connection; returns the unsubscriber.

    aiohttp does not cancel handlers when their client leaves, so a handler that holds a
    request open (a long poll) would otherwise keep its resources until it times out.
    """
    handler = request.protocol
    if not isinstance(handler, AnyMethodRequestHandler):
        return lambda: None
    if handler.transport is None:  # already gone
        asyncio.get_running_loop().call_soon(callback)
        return lambda: None
    handler.disconnect_callbacks.append(callback)

    def unsubscribe() -> None:
        if callback in handler.disconnect_callbacks:
            handler.disconnect_callbacks.remove(callback)

    return unsubscribe


def unreadable_body(error: RequestPayloadError) -> str:
    """One line saying why a request's body could not be read (e.g. a bad Content-Encoding)."""
    cause = error.__cause__
    text = cause.message if isinstance(cause, HttpProcessingError) else str(error)
    return "the request body could not be read: " + " ".join(str(text).split())


class AnyMethodServer(web.Server):
    """An aiohttp low-level server whose connections accept any method token."""

    def __call__(self) -> RequestHandler:
        return AnyMethodRequestHandler(self, loop=self._loop, **self._kwargs)


class AnyMethodAppRunner(web.AppRunner):
    """``web.AppRunner`` serving the application through :class:`AnyMethodServer`.

    ``shortcuts`` maps path prefixes to handlers that take such requests before the
    application's router sees them: the mock endpoints are the hot path, and resolving
    their route among the admin and UI routes was a measurable part of each request.
    """

    def __init__(
        self,
        app: web.Application,
        *,
        shortcuts: Mapping[str, Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]]
        | None = None,
        **options: Any,
    ) -> None:
        super().__init__(app, **options)
        self._shortcuts = dict(shortcuts or {})

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        handler = server.request_handler
        if self._shortcuts:
            handler = _with_shortcuts(handler, self._shortcuts)
        return AnyMethodServer(
            handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=server._loop,
            **server._kwargs,
        )


def _with_shortcuts(
    handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
    shortcuts: Mapping[str, Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]],
) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
    prefixes = tuple(shortcuts.items())

    async def dispatch(request: web.BaseRequest) -> web.StreamResponse:
        path = request.raw_path
        for prefix, shortcut in prefixes:
            if path.startswith(prefix):
                return await shortcut(request)
        return await handler(request)

    return dispatch
