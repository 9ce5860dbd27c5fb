"""aiohttp's connections, adapted: any method token, bounded connections, a prompt shutdown.

aiohttp parses requests with llhttp, which knows a fixed list of methods and answers
400 to any other token (``BREW /pot``). A fake service must accept whatever the code
under test sends, so each connection starts on the fast parser and moves to aiohttp's
pure-Python parser, which accepts any token, the first time llhttp rejects a method.

The connections also count toward ``--max-connections``, close when a request head takes
longer than ``--header-timeout`` to arrive or a body stops coming for ``--keepalive-timeout``,
tell long-running handlers when their client leaves, and log an unparsable request in one
line. The server's shutdown honours ``--shutdown-timeout`` once (aiohttp's waits it twice)
and says how many replies it cut.

This is the one module that uses aiohttp's private internals (``RequestHandler``'s
``_parser``, ``_messages``, ``_request_in_progress``, ``_current_request``,
``_task_handler``, ``_next_keepalive_close_time``; ``Server``'s ``_connections``,
``_kwargs``, ``_loop``; ``AppRunner._make_server``); ``tests/connections/
test_aiohttp_internals.py`` fails loudly if an aiohttp release changes them, and
pyproject.toml bounds aiohttp's version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, HttpProcessingError
from aiohttp.http_parser import HttpRequestParser, HttpRequestParserPy
from aiohttp.web_protocol import MAX_MSG_QUEUE_SIZE, RequestHandler, RequestPayloadError

from pretenders.server.connections import ConnectionBudget, Refusal, http_refusal

if TYPE_CHECKING:
    from pretenders.server.http_mock import MockEndpoint
    from pretenders.server.mock_protocol import MockConnection

_TLS_HANDSHAKE = b"\x16\x03"

logger = logging.getLogger("pretenders.server")


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
    long-running handlers when their client goes away (see :func:`on_disconnect`), counts
    itself in a :class:`ConnectionBudget` and bounds the time a request head takes."""

    __slots__ = (
        "_body_timer",
        "_budget",
        "_head_timer",
        "_header_timeout",
        "_last_read",
        "disconnect_callbacks",
    )

    def __init__(
        self,
        manager: web.Server,
        *,
        loop: Any,
        budget: ConnectionBudget | None = None,
        header_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, loop=loop, **kwargs)
        self.disconnect_callbacks: list[Callable[[], object]] = []
        self._budget = budget
        self._header_timeout = header_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._last_read = 0.0
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

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._budget is not None:
            self._budget.open += 1
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._manager is not None and self._budget is not None:  # not yet lost
            self._budget.open -= 1
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None
        super().connection_lost(exc)
        callbacks, self.disconnect_callbacks = self.disconnect_callbacks, []
        for callback in callbacks:
            callback()

    def data_received(self, data: bytes) -> None:
        RequestHandler.data_received(self, data)  # not super(): this runs per chunk
        if self._messages or self._request_in_progress:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            if self._body_timer is not None:
                self._last_read = self._loop.time()
                return
            # A body still to come starts its idle clock; a request that arrived whole
            # (the usual case) costs no timer at all.
            payload = self._messages[-1][1] if self._messages else self._body_under_way()
            if payload is not None and not payload.is_eof():
                self._last_read = self._loop.time()
                self._body_timer = self._loop.call_at(
                    self._last_read + self.keepalive_timeout, self._body_idle
                )
            return
        # Between requests, bytes that do not make a whole head start the head's clock.
        if self._head_timer is None and self._header_timeout is not None:
            if self._force_close or self._close:
                return
            deadline = self._loop.time() + self._header_timeout
            self._head_timer = self._loop.call_at(deadline, self._head_timed_out)
            # aiohttp's idle timer must not cut a head that is still within its own time.
            self._next_keepalive_close_time = max(self._next_keepalive_close_time, deadline)

    def _body_under_way(self) -> Any:
        """The body (a stream) of the latest request received, or None."""
        if self._messages:
            return self._messages[-1][1]
        request = self._current_request
        return request.content if request is not None else None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._messages or self._request_in_progress or self.transport is None:
            return
        logger.debug(
            "closed a connection from %s: its request head did not arrive within "
            "--header-timeout (%g s)",
            _peer(self.transport),
            self._header_timeout,
        )
        self.force_close()

    def _body_idle(self) -> None:
        self._body_timer = None
        payload = self._body_under_way()
        if payload is None or payload.is_eof() or self.transport is None:
            return
        idle = self.keepalive_timeout
        if self._loop.time() < self._last_read + idle:
            self._body_timer = self._loop.call_at(self._last_read + idle, self._body_idle)
            return
        logger.debug(
            "closed a connection from %s: nothing of its request body arrived for "
            "--keepalive-timeout (%g s)",
            _peer(self.transport),
            idle,
        )
        self.force_close()

    def log_exception(self, *args: Any, **kwargs: Any) -> None:
        """A body that cannot be read (a bad Content-Encoding) has had its 400 already:
        aiohttp trips on it again while draining the rest, which is no server error."""
        error = kwargs.get("exc_info")
        if isinstance(error, RequestPayloadError):
            logger.debug("dropped the rest of a request body: %s", unreadable_body(error))
            return
        super().log_exception(*args, **kwargs)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A request aiohttp could not parse gets its 400 and one DEBUG line, no traceback;
        errors of the server itself (5xx) are logged by aiohttp as before."""
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        logger.debug("unparsable request from %s: %s", request.remote, message or exc)
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already sent, cannot send the error")
        response = web.Response(status=status, text=message, content_type="text/plain")
        response.force_close()
        return response


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


def _peer(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)


class AnyMethodServer(web.Server):
    """An aiohttp low-level server whose connections accept any method token, up to the
    budget's limit, and whose shutdown waits ``timeout`` once, then cuts what is left."""

    def __init__(
        self,
        handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
        *,
        budget: ConnectionBudget | None = None,
        header_timeout: float | None = None,
        mocks: MockEndpoint | None = None,
        mock_id: str | None = None,
        tls: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self.budget = budget
        self.header_timeout = header_timeout
        self.mocks = mocks
        """Serves mock requests on each connection before aiohttp does (mock_protocol.py);
        None: aiohttp serves every request (e.g. to write an access log line for each)."""
        self.mock_id = mock_id
        """The own-port mock this server's connections serve at ``/`` (None: the
        ``/mockhttp/`` mocks)."""
        self.tls = tls
        self.mock_connections: set[MockConnection] = set()
        from pretenders.server.mock_protocol import MockConnection  # it imports http_mock

        self._mock_connection = MockConnection

    def __call__(self) -> asyncio.Protocol:  # type: ignore[override]  # a Refusal past the limit
        budget = self.budget
        if budget is not None and budget.full:
            return Refusal(budget, http_refusal(budget))
        if self.mocks is not None:
            return self._mock_connection(
                self.mocks,
                self.request_handler_protocol,
                self.mock_connections,
                budget=budget,
                header_timeout=self.header_timeout,
                idle_timeout=self._kwargs.get("keepalive_timeout", 75.0),
                mock_id=self.mock_id,
                tls=self.tls,
            )
        return self.request_handler_protocol()

    def request_handler_protocol(self) -> AnyMethodRequestHandler:
        """aiohttp's handler for one connection (any method, budgeted, timed)."""
        return AnyMethodRequestHandler(
            self,
            loop=self._loop,
            budget=self.budget,
            header_timeout=self.header_timeout,
            **self._kwargs,
        )

    async def shutdown(self, timeout: float | None = None) -> None:
        """Let replies under way finish for ``timeout`` seconds, then cut them, and close
        every connection; logs how many replies were cut.

        aiohttp's own shutdown waits ``timeout`` for the replies, then ``timeout`` again
        for them to end after it asked them to, which a delayed reply ignores.
        """
        connections = list(self._connections)
        busy = [
            task
            for task in (c._task_handler for c in connections if c._request_in_progress)
            if task is not None and not task.done()
        ]
        mock_connections = list(self.mock_connections)
        busy.extend(task for task in (c.shut() for c in mock_connections) if task is not None)
        if busy and (timeout is None or timeout > 0):
            await asyncio.wait(busy, timeout=timeout)
        cut = [task for task in busy if not task.done()]
        for connection in connections:
            task = connection._task_handler
            connection.force_close()
            if task is not None and not task.done():
                task.cancel()
        for mock_connection in mock_connections:
            mock_connection.cut()
        self.mock_connections.clear()
        if cut:
            await asyncio.wait(cut, timeout=1.0)
        self._connections.clear()
        logger.info(
            "cut %d %s still under way after --shutdown-timeout (%s s)",
            len(cut),
            "reply" if len(cut) == 1 else "replies",
            timeout,
        )


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
        budget: ConnectionBudget | None = None,
        header_timeout: float | None = None,
        mocks: MockEndpoint | None = None,
        **options: Any,
    ) -> None:
        super().__init__(app, **options)
        self._shortcuts = dict(shortcuts or {})
        self.budget = budget
        self._header_timeout = header_timeout
        self._mocks = mocks

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
            budget=self.budget,
            header_timeout=self._header_timeout,
            mocks=self._mocks,
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
