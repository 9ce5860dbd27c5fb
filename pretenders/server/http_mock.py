"""HTTP mocks: ``/mockhttp/<id>/<path>`` records each request and serves a preset.

This is the hot path: one lookup, one record appended, the presets tried through an
index with regexes compiled when they were added, and no logging. Each of those is one
direct call to the :class:`MockService`, bound once.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import unquote

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from pretenders.server import wire
from pretenders.server.core.errors import Unavailable, UnknownMock
from pretenders.server.core.matching import MatchSubject
from pretenders.server.core.near_miss import explain_miss
from pretenders.server.core.patterns import Pattern, milliseconds
from pretenders.server.core.presets import Preset
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import Mock
from pretenders.server.core.store import Served
from pretenders.server.http_protocol import on_disconnect, unreadable_body
from pretenders.server.limits import refused_body
from pretenders.server.mocks import MockService
from pretenders.server.proxying import Forwarder

logger = logging.getLogger("pretenders.server")

PREFIX = "/mockhttp/"
ROUTE = PREFIX + "{id}{path:.*}"


class HttpMockAdapter:
    """HTTP mocks live in the admin server itself, below ``/mockhttp/<id>``."""

    async def open(self, mock: Mock, options: wire.CreateMock) -> dict[str, object]:
        """Nothing to open: the mock is reachable as soon as it is registered."""
        return {}

    def describe(self, mock: Mock) -> wire.CreatedHttpMock:
        return wire.CreatedHttpMock(id=mock.id, path=PREFIX + mock.id)


def split_mock_path(raw_path: str) -> tuple[str, str]:
    """``/mockhttp/<id>/a/b?q=1`` -> (``<id>``, ``/a/b?q=1``), the rest as sent (encoded)."""
    rest = raw_path[len(PREFIX) :]
    cut = rest.find("/")
    if cut < 0:
        cut = len(rest)
    query = rest.find("?", 0, cut)
    if query >= 0:
        cut = query
    mock_id = rest[:cut]
    return (unquote(mock_id) if "%" in mock_id else mock_id), rest[cut:]


class MockEndpoint:
    """The fake services: records each request, then answers with the first matching
    preset or a 404 that explains the closest misses.

    It reads the mock id from the path itself, so the server can send ``/mockhttp/``
    requests here without going through the router (see ``AnyMethodAppRunner``).
    """

    def __init__(self, mocks: MockService, max_body_size: int) -> None:
        self.mocks = mocks
        # Bound once: the hot path pays one call each, no attribute lookups.
        self._arrived = mocks.arrived
        self._serve = mocks.serve
        self._clock = mocks.store.clock
        self.max_body_size = max_body_size
        """Larger request bodies get a 413 (the application's ``client_max_size`` must be
        at least this, so that aiohttp reads bodies this large)."""
        self.forward = Forwarder(mocks, max_body_size)
        """Proxy presets' requests go upstream through it (opened with the server)."""

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        raw_path = request.raw_path
        if not raw_path.startswith(PREFIX):  # routed here with the prefix percent-encoded
            query = request.query_string
            raw_path = f"{request.path}?{query}" if query else request.path
        mock_id, url = split_mock_path(raw_path)
        now = self._clock()
        try:
            mock = await self._arrived("http", mock_id, now)
        except Unavailable as error:
            return _unavailable(error)
        if mock is None:
            return web.Response(status=404, text=f"No matching http mock: {mock_id}")

        limit = self.max_body_size
        size = request.content_length
        if size is not None and size > limit:
            return await _refuse_body(self.mocks, mock, request, url, now, size, limit)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:  # a chunked body, over client_max_size
            return await _refuse_body(self.mocks, mock, request, url, now, None, limit)
        except RequestPayloadError as error:  # e.g. "Content-Encoding: gzip" on plain bytes
            refused = web.Response(status=400, text=unreadable_body(error))
            refused.force_close()  # the connection cannot be read past that body
            return refused
        except ConnectionResetError:  # the client left before sending the whole body
            return web.Response(status=499)
        if len(body) > limit:  # a chunked body, between the limit and client_max_size
            return await _refuse_body(self.mocks, mock, request, url, now, None, limit)
        record = RequestRecord(
            method=request.method,
            url=url,
            headers=tuple(request.headers.items()),
            body=body,
            time=now,
        )
        subject = MatchSubject(record)
        try:
            served = await self._serve(mock, subject, record)
        except Unavailable as error:  # not recorded: no reply but this one
            return _unavailable(error)
        if served.gave_up:
            _report_gave_up(mock, served.gave_up, subject)
        preset = served.preset
        if preset is None:
            if served.gone:
                return web.Response(status=404, text=f"No matching http mock: {mock_id}")
            return _no_match(mock, record, served)
        reply = preset.reply
        if reply.after > 0:
            await _delay(request, reply.after)
        # proxy presets (proxying.py): one attribute check for every other reply
        if reply.proxy is not None:
            return await self.forward(request, mock, record, reply.proxy)
        # end proxy presets
        return web.Response(status=reply.status, body=reply.body, headers=reply.response_headers)


async def _delay(request: web.BaseRequest, seconds: float) -> None:
    """Wait before a delayed reply; a client that leaves meanwhile cancels the wait, so
    that an abandoned reply leaves no task behind."""
    task = asyncio.current_task()
    forget = on_disconnect(request, task.cancel) if task is not None else None
    try:
        await asyncio.sleep(seconds)
    finally:
        if forget is not None:
            forget()


def _unavailable(error: Unavailable) -> web.Response:
    """A 503 naming what is missing (the shared store): nothing was recorded."""
    return web.Response(status=503, text=f"{error}\n", headers={"Retry-After": "1"})


async def _refuse_body(
    mocks: MockService,
    mock: Mock,
    request: web.BaseRequest,
    url: str,
    now: float,
    size: int | None,
    limit: int,
) -> web.Response:
    """Record a request whose body is over the limit without its body, and answer 413."""
    record = RequestRecord(
        method=request.method,
        url=url,
        headers=tuple(request.headers.items()),
        body=b"",
        time=now,
        status=413,
        body_too_large=True,
    )
    try:
        await mocks.add_to_history(mock, record)
    except Unavailable as error:
        return _unavailable(error)
    except UnknownMock:  # deleted meanwhile, through another process
        return web.Response(status=404, text=f"No matching http mock: {mock.id}")
    return web.Response(
        status=413, body=refused_body(size, limit), content_type="text/plain", charset="utf-8"
    )


def _no_match(mock: Mock, record: RequestRecord, served: Served) -> web.Response:
    """Answer 404 saying why the closest presets missed (recorded with the request)."""
    compared = served.comparison.compared if served.comparison is not None else None
    text = explain_miss(record, served.preset_count, mock.id, compared)
    return web.Response(
        status=404,
        body=text.encode("utf-8", errors="replace"),
        content_type="text/plain",
        charset="utf-8",
    )


def _report_gave_up(
    mock: Mock, gave_up: list[tuple[Preset, Pattern]], subject: MatchSubject
) -> None:
    """Log each preset regex that gave up on a request, the first time it does."""
    for preset, pattern in gave_up:
        logger.warning(
            "HTTP mock %s, preset %d: the regular expression %r (%s) gave up after %s on "
            "%r; the preset is a miss for any request it gives up on (logged once per "
            "preset; simplify the pattern or raise --regex-timeout)",
            mock.id,
            preset.id,
            pattern.source,
            pattern.field,
            milliseconds(pattern.timeout),
            subject.record.rule_line[:200],
        )


ENDPOINT = web.AppKey("pretenders_mock_endpoint", MockEndpoint)
