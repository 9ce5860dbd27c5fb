"""Mock requests served straight off the socket: the lean path for HTTP mocks.

Each connection of the server (and of an own-port mock) starts on :class:`MockConnection`.
It frames requests itself (a head up to the blank line, then ``Content-Length`` bytes
already received), parses each head with httptools (llhttp, as aiohttp's C parser), and
answers a mock request through the same :meth:`MockEndpoint.claim` as aiohttp's route
does, writing a plain reply in one ``transport.write``. Faults, pacing, delays, proxying
and webhooks are done here too, on the raw transport.

Everything it does not serve itself (an admin or UI call, HTTP/1.0, HEAD, a chunked,
compressed, oversized or not yet whole body, ``Expect``, ``Upgrade``, an unknown method,
a malformed head) is handed to aiohttp's handler from the first byte of that request on,
and the connection stays with aiohttp from then: the answer is aiohttp's, as before.

It keeps the doors of the server: it counts in the connection budget, closes a connection
whose head does not arrive within ``--header-timeout`` or which stays idle for
``--keepalive-timeout``, bounds what it buffers, and cancels a wait (a delay, a paced
body) when its client leaves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from typing import TYPE_CHECKING, cast

import httptools
from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE

from pretenders.server.core.errors import Unavailable
from pretenders.server.core.http_head import bodiless, head_lines
from pretenders.server.core.pacing import schedule
from pretenders.server.core.presets import Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.reply_render import MadeReply
from pretenders.server.core.store import Served
from pretenders.server.faults import inflict
from pretenders.server.http_mock import PREFIX, MockEndpoint, split_mock_path, unavailable, with_tls
from pretenders.server.https import tls_facts

if TYPE_CHECKING:
    from pretenders.server.connections import ConnectionBudget

logger = logging.getLogger("pretenders.server")

_PREFIX = PREFIX.encode("ascii")
_HEAD_END = b"\r\n\r\n"
_METHOD_NAMES = {
    method.encode("ascii"): method
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
}
"""Methods served here, each one string every record shares; any other token (HEAD,
BREW...) goes to aiohttp."""
_SERVED_METHODS = frozenset(_METHOD_NAMES)
_NAMES: dict[bytes, str] = {}
"""Header names as decoded, shared by every record that has them (as aiohttp's known
names are): a history of many requests holds each name once, not once a request."""
_MAX_NAMES = 512
"""Names kept in :data:`_NAMES`: past it a name is decoded for its record alone, so that
clients sending ever new names cannot grow it."""


def _name(raw: bytes) -> str:
    name = _NAMES.get(raw)
    if name is None:
        name = raw.decode("utf-8", "surrogateescape")
        if len(_NAMES) < _MAX_NAMES:
            _NAMES[raw] = name
    return name


_HANDED_OVER = frozenset({b"transfer-encoding", b"content-encoding", b"expect", b"upgrade"})
"""Request headers that need aiohttp's handling (chunks, decompression, 100-continue)."""
MAX_HEAD = 8190
"""The largest head served here: aiohttp's limit for one line, so that a longer line, a
longer header or too many headers meet aiohttp's own limits (and its 4xx)."""
_LONGEST_METHOD = max(map(len, _SERVED_METHODS))
_SERVER_LINE = f"Server: {SERVER_SOFTWARE}\r\n".encode()


class _DateLine:
    """The ``Date`` header line, made once a second."""

    __slots__ = ("_line", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._line = b""

    def get(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._line = f"Date: {formatdate(now, usegmt=True)}\r\n".encode("ascii")
        return self._line


_DATE = _DateLine()


class _Head:
    """What httptools reads of one request head."""

    __slots__ = ("headers",)

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))


class MockConnection(asyncio.Protocol):
    """One client connection: mock requests served here, the rest handed to aiohttp.

    ``mock_id``: the own-port mock every request of this connection is for (served at
    ``/``); None: requests below ``/mockhttp/<id>`` (anything else goes to aiohttp).
    ``tls``: the connection is HTTPS (its facts are recorded with each request)."""

    __slots__ = (
        "_budget",
        "_buffer",
        "_busy",
        "_closing",
        "_deadline",
        "_endpoint",
        "_eof",
        "_header_timeout",
        "_idle_timeout",
        "_loop",
        "_make_handler",
        "_mock_id",
        "_paused",
        "_registry",
        "_task",
        "_timer",
        "_tls",
        "_waiting",
        "transport",
    )

    def __init__(
        self,
        endpoint: MockEndpoint,
        make_handler: Callable[[], asyncio.Protocol],
        registry: set[MockConnection],
        *,
        budget: ConnectionBudget | None,
        header_timeout: float | None,
        idle_timeout: float,
        mock_id: str | None = None,
        tls: bool = False,
    ) -> None:
        self._endpoint = endpoint
        self._make_handler = make_handler
        self._registry = registry
        self._budget = budget
        self._header_timeout = header_timeout
        self._idle_timeout = idle_timeout
        self._mock_id = mock_id
        self._tls = tls
        self._buffer = bytearray()
        self._busy = False
        self._closing = False
        self._waiting = False
        self._eof = False
        self._paused = False
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._deadline = 0.0
        self._loop = asyncio.get_event_loop()
        self.transport: asyncio.Transport | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no asyncio.Transport
        self._registry.add(self)
        if self._budget is not None:
            self._budget.open += 1
        self._arm(self._idle_timeout)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.transport is None:
            return  # handed over: aiohttp's handler owns the count now
        self.transport = None
        self._registry.discard(self)
        if self._budget is not None:
            self._budget.open -= 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        task = self._task
        if task is not None and self._waiting and not task.done():
            task.cancel()  # a delay or paced body nobody will read

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._busy and not self._paused:
            self._next()
        if len(self._buffer) > MAX_HEAD + self._endpoint.max_body_size:
            # Requests pile up behind a slow reply, or a client that does not read its
            # replies: read no more until they are served (a whole request fits below).
            self._pause()

    def eof_received(self) -> bool | None:
        # As aiohttp: a client that stops sending has left; the transport closes, a reply
        # under way is lost (what arrived whole is still recorded), a wait is cancelled.
        self._eof = True
        return None

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if not self._busy and self._buffer:
            self._next()

    # Framing

    def _next(self) -> None:
        """Serve the next whole request in the buffer, hand the connection over, or wait."""
        transport = self.transport
        if transport is None or self._closing:
            return
        if self._paused:  # the client reads no replies: it has the idle time to start again
            self._arm(self._idle_timeout)
            return
        buffer = self._buffer
        if not buffer:
            if self._eof:
                self._close()
            else:
                self._arm(self._idle_timeout)
                self._resume()
            return
        head_end = buffer.find(_HEAD_END)
        if head_end < 0:
            if self._eof:
                self._close()  # the client left mid-request: nothing to answer or record
            elif len(buffer) > MAX_HEAD or not self._may_be_served(buffer):
                self._hand_over()
            else:
                if self._header_timeout is not None:
                    self._arm(self._header_timeout, keep=True)
                self._resume()  # the rest of the head is to come
            return
        head_size = head_end + 4
        if head_size > MAX_HEAD:
            self._hand_over()
            return
        line_end = buffer.find(b"\r\n")
        parts = bytes(buffer[:line_end]).split(b" ")
        if (
            len(parts) != 3
            or parts[0] not in _SERVED_METHODS
            or parts[2] != b"HTTP/1.1"
            or not parts[1].startswith(_PREFIX if self._mock_id is None else b"/")
        ):
            self._hand_over()
            return
        head = _Head()
        try:
            httptools.HttpRequestParser(head).feed_data(bytes(buffer[:head_size]))
        except httptools.HttpParserError:
            self._hand_over()  # aiohttp answers it, as it would have
            return
        length = 0
        close = False
        for name, value in head.headers:
            lower = name.lower()
            if lower == b"content-length":
                if not value.isdigit():
                    self._hand_over()
                    return
                length = int(value)
            elif lower in _HANDED_OVER:
                self._hand_over()
                return
            elif lower == b"connection" and value.lower() == b"close":
                close = True
        total = head_size + length
        if len(buffer) < total or length > self._endpoint.max_body_size:
            # A body still coming, or over the limit: aiohttp's route reads it (and finds
            # the mock first, records a refused body, answers 413...), as it always has.
            self._hand_over()
            return
        body = bytes(buffer[head_size:total])
        del buffer[:total]
        self._busy = True
        self._disarm()
        headers = tuple(
            (_name(name), value.decode("utf-8", "surrogateescape")) for name, value in head.headers
        )
        self._task = self._loop.create_task(
            self._serve(
                _METHOD_NAMES[parts[0]],
                parts[1].decode("utf-8", "surrogateescape"),
                headers,
                body,
                close,
            )
        )

    def _may_be_served(self, start: bytearray) -> bool:
        """Whether the first bytes of a request may still begin one served here: a served
        method, a space, and (below ``/mockhttp/``) the prefix, as far as they arrived."""
        space = start.find(b" ", 0, _LONGEST_METHOD + 1)
        if space < 0:
            return len(start) <= _LONGEST_METHOD and any(
                method.startswith(start) for method in _SERVED_METHODS
            )
        if bytes(start[:space]) not in _SERVED_METHODS:
            return False
        prefix = _PREFIX if self._mock_id is None else b"/"
        return prefix.startswith(bytes(start[space + 1 : space + 1 + len(prefix)]))

    def _hand_over(self) -> None:
        """Give the connection, from the first byte of the current request, to aiohttp."""
        transport = self.transport
        if transport is None:
            return
        self._disarm()
        self._registry.discard(self)
        if self._budget is not None:
            self._budget.open -= 1  # the handler counts itself
        self.transport = None
        pending = bytes(self._buffer)
        self._buffer.clear()
        handler = self._make_handler()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        if self._paused:
            handler.pause_writing()
        if pending:
            handler.data_received(pending)
        if self._eof:
            handler.eof_received()
        if not transport.is_reading():
            transport.resume_reading()

    # Serving

    async def _serve(
        self,
        method: str,
        target: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        close: bool,
    ) -> None:
        endpoint = self._endpoint
        if self._mock_id is None:
            mock_id, url = split_mock_path(target)
        else:
            mock_id, url = self._mock_id, target
        now = endpoint.clock()
        try:
            try:
                mock = await endpoint.arrived("http", mock_id, now)
            except Unavailable as error:
                self._finish(_response_bytes(unavailable(error), close), close)
                return
            if mock is None:
                text = f"No matching http mock: {mock_id}".encode()
                self._finish(_reply_bytes(404, _TEXT, text, close), close)
                return
            record = RequestRecord(method=method, url=url, headers=headers, body=body, time=now)
            if self._tls and self.transport is not None:
                with_tls(record, tls_facts(self.transport.get_extra_info("ssl_object")))
            served = await endpoint.claim(mock, record)
            if not isinstance(served, Served):
                self._finish(_response_bytes(served, close), close)
                return
            preset = served.preset
            assert preset is not None
            reply = served.reply or preset.reply
            sent: Reply | MadeReply = served.made or reply
            if reply.shaped:  # a fault, pacing or drawn delay
                await self._send_shaped(reply, sent, record, close)
                return
            if sent.after > 0:
                await self._wait(sent.after)
            if reply.proxy is not None:
                response = await endpoint.forward(mock, record, reply.proxy)
                self._finish(_response_bytes(response, close), close)
                return
            self._finish(_sent_bytes(sent, reply, close), close)
            if preset.reply.webhooks and endpoint.webhooks is not None:
                await endpoint.webhooks.send(mock, preset.id, preset.reply.webhooks, record)
        except asyncio.CancelledError:
            self._gone()  # the client left during a wait, or the server cut the reply
        except Exception:  # a bug: aiohttp would answer 500, so do we
            logger.exception("error serving a mock request")
            data = _reply_bytes(500, _TEXT, b"500 Internal Server Error", True)
            self._finish(data, True)

    async def _send_shaped(
        self, reply: Reply, sent: Reply | MadeReply, record: RequestRecord, close: bool
    ) -> None:
        """A reply with a fault, pacing or drawn delay (see shaped_replies.py for aiohttp's)."""
        seconds = record.delay if record.delay is not None else reply.after
        if seconds > 0:
            await self._wait(seconds)
        if reply.fault is not None:
            self._closing = True
            inflict(self.transport, reply.fault, reply)
            self._gone()
            return
        if reply.pacing is None:
            self._finish(_sent_bytes(sent, reply, close), close)
            return
        no_body = bodiless(sent.status)
        self._write(_head_bytes(sent.status, sent.response_headers.items(), len(sent.body), close))
        start = self._loop.time()
        self._waiting = True
        try:
            for at, piece in schedule(reply.pacing, sent.body):
                wait = start + at - self._loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if piece and not no_body:
                    self._write(piece)
        finally:
            self._waiting = False
        self._finish(b"", close)

    async def _wait(self, seconds: float) -> None:
        """Sleep ``seconds``; the client leaving meanwhile cancels the task."""
        if self.transport is None:
            raise asyncio.CancelledError  # the client left: nobody to wait for
        self._waiting = True
        try:
            await asyncio.sleep(seconds)
        finally:
            self._waiting = False

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _gone(self) -> None:
        """The reply ended without a whole answer written (the connection is closing)."""
        self._busy = False
        self._task = None
        self._close()

    def _finish(self, data: bytes, close: bool) -> None:
        transport = self.transport
        self._busy = False
        self._task = None
        if transport is None:
            return
        if data:
            transport.write(data)
        if close or transport.is_closing():
            self._close()
            return
        self._next()

    # Timers: one per connection, moved rather than remade

    def _arm(self, seconds: float, keep: bool = False) -> None:
        """Close the connection if nothing more happens within ``seconds`` (``keep``: an
        earlier deadline already set stands, e.g. a head's, however its bytes trickle)."""
        deadline = self._loop.time() + seconds
        if keep and self._deadline and self._deadline <= deadline:
            return
        self._deadline = deadline
        timer = self._timer
        if timer is not None and timer.when() > deadline:
            timer.cancel()
            timer = None
        if timer is None:
            self._timer = self._loop.call_at(deadline, self._expire)

    def _disarm(self) -> None:
        self._deadline = 0.0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        if self._busy or self.transport is None or not self._deadline:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._expire)
            return
        logger.debug("closed an idle or stalled connection (no whole request in time)")
        self._close()

    def _pause(self) -> None:
        if self.transport is not None and self.transport.is_reading():
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self.transport is not None and not self.transport.is_reading():
            self.transport.resume_reading()

    def _close(self) -> None:
        self._closing = True
        self._disarm()
        if self.transport is not None:
            self.transport.close()

    def shut(self) -> asyncio.Task[None] | None:
        """Stop taking requests: the reply under way (its task), if any, to wait for."""
        self._closing = True
        task = self._task
        if task is None and self.transport is not None:
            self.transport.close()
        return task

    def cut(self) -> None:
        """Close now, cancelling a reply under way."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
        if self.transport is not None:
            self.transport.close()


_TEXT = (("Content-Type", "text/plain; charset=utf-8"),)


def _head_bytes(status: int, headers: Iterable[tuple[str, str]], length: int, close: bool) -> bytes:
    """A response head as aiohttp writes it: status line, the given headers, then
    Content-Length (unless given, or the status has no body), Date, Server and, when
    closing, ``Connection: close``."""
    return _end_of_head(head_lines(status, headers, length), close)


def _end_of_head(lines: bytes, close: bool) -> bytes:
    """``lines`` (status line and headers) with the lines the server adds to each reply."""
    if close:
        return b"%s%s%sConnection: close\r\n\r\n" % (lines, _DATE.get(), _SERVER_LINE)
    return b"%s%s%s\r\n" % (lines, _DATE.get(), _SERVER_LINE)


def _sent_bytes(sent: Reply | MadeReply, reply: Reply, close: bool) -> bytes:
    """A preset's reply as written: its head made once (a Reply's), or with the reply's
    header lines (a reply made with them), or now (a made one with headers of its own)."""
    if sent is reply:
        head = _end_of_head(reply.wire_head, close)
    elif sent.response_headers is reply.response_headers:
        head = _end_of_head(reply.wire_headers.head(sent.status, len(sent.body)), close)
    else:
        head = _head_bytes(sent.status, sent.response_headers.items(), len(sent.body), close)
    return head if bodiless(sent.status) else head + sent.body


def _reply_bytes(
    status: int, headers: Iterable[tuple[str, str]], body: bytes, close: bool
) -> bytes:
    head = _head_bytes(status, headers, len(body), close)
    return head if bodiless(status) else head + body


def _response_bytes(response: web.StreamResponse, close: bool) -> bytes:
    body = response.body if isinstance(response, web.Response) else None
    data = body if isinstance(body, bytes) else b""
    headers = response.headers
    if "Content-Type" not in headers and data:
        headers = headers.copy()
        headers["Content-Type"] = response.content_type
    return _reply_bytes(response.status, headers.items(), data, close)
