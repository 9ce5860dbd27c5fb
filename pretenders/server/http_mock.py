"""HTTP mocks: ``/mockhttp/<id>/<path>`` records each request and serves a preset.

This is the hot path: one lookup, one record appended, the presets tried through an
index with regexes compiled when they were added, and no logging. Each of those is one
direct call to the :class:`MockService`, bound once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from pretenders.server import wire
from pretenders.server.core.errors import Unavailable, UnknownMock
from pretenders.server.core.matching import MatchSubject
from pretenders.server.core.near_miss import explain_miss
from pretenders.server.core.patterns import Pattern, milliseconds
from pretenders.server.core.presets import Preset, Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import Mock
from pretenders.server.core.reply_render import MadeReply
from pretenders.server.core.store import Served
from pretenders.server.http_protocol import on_disconnect, unreadable_body
from pretenders.server.https import TlsFacts
from pretenders.server.limits import refused_body
from pretenders.server.mocks import MockService
from pretenders.server.shaped_replies import send_shaped
from pretenders.server.webhooks import WebhookSender

if TYPE_CHECKING:
    from pretenders.server.own_ports import OwnPorts
from pretenders.server.proxying import Forwarder

logger = logging.getLogger("pretenders.server")

PREFIX = "/mockhttp/"
ROUTE = PREFIX + "{id}{path:.*}"


class HttpMockAdapter:
    """HTTP mocks live in the admin server itself, below ``/mockhttp/<id>``; those asked
    for with a ``port`` also on a port of their own (``ports``)."""

    def __init__(self, ports: OwnPorts | None = None) -> None:
        self.ports = ports

    async def open(self, mock: Mock, options: wire.CreateMock) -> dict[str, object]:
        """Below ``/mockhttp/`` nothing to open: the mock is reachable as soon as it is
        registered; a port of its own is opened here."""
        if not isinstance(options, wire.CreateHttpMock):
            return {}
        hosts = list(dict.fromkeys(host.lower() for host in options.hosts or ()))
        details: dict[str, object] = {"hosts": hosts} if hosts else {}
        if options.port is not None:
            if self.ports is None:
                raise Unavailable("this server does not open ports for HTTP mocks")
            details.update(await self.ports.open(mock, options, hosts))
        return details

    def close(self, mock: Mock) -> None:
        """The mock was deleted or expired: close its own port, if this process has it."""
        if self.ports is not None:
            self.ports.close(mock)

    def describe(self, mock: Mock) -> wire.CreatedHttpMock:
        details = mock.details
        url = details.get("url")
        hosts = details.get("hosts")
        ca = details.get("ca")
        return wire.CreatedHttpMock(
            id=mock.id,
            path=PREFIX + mock.id,
            url=url if isinstance(url, str) else None,
            hosts=[str(host) for host in hosts] if isinstance(hosts, list) and hosts else None,
            ca=ca if isinstance(ca, str) else None,
        )


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

    def __init__(
        self, mocks: MockService, max_body_size: int, webhooks: WebhookSender | None = None
    ) -> None:
        self.mocks = mocks
        self.webhooks = webhooks
        """Sends the webhooks of presets that have some (None: they are not sent)."""
        # Bound once: the hot path pays one call each, no attribute lookups.
        self.arrived = mocks.arrived
        self._serve = mocks.serve
        self.clock = mocks.store.clock
        self.max_body_size = max_body_size
        """Larger request bodies get a 413 (the application's ``client_max_size`` must be
        at least this, so that aiohttp reads bodies this large)."""
        self.forward = Forwarder(mocks, max_body_size)
        """Proxy presets' requests go upstream through it (opened with the server)."""

    def __call__(self, request: web.BaseRequest) -> Awaitable[web.StreamResponse]:
        """Serve a ``/mockhttp/<id>/...`` request: :meth:`handle`'s coroutine, handed
        back without a coroutine of its own around it (this is the hot path)."""
        raw_path = request.raw_path
        if not raw_path.startswith(PREFIX):  # routed here with the prefix percent-encoded
            query = request.query_string
            raw_path = f"{request.path}?{query}" if query else request.path
        mock_id, url = split_mock_path(raw_path)
        return self.handle(request, mock_id, url)

    async def routed(self, request: web.BaseRequest) -> web.StreamResponse:
        """:meth:`__call__` for the router, which takes coroutine functions."""
        return await self(request)

    async def handle(
        self,
        request: web.BaseRequest,
        mock_id: str,
        url: str,
        tls: TlsFacts | None = None,
    ) -> web.StreamResponse:
        """Serve one request for the mock ``mock_id``: ``url`` is the path below the mock
        (with its query, as sent); ``tls``: what its HTTPS connection tells, if any."""
        now = self.clock()
        try:
            mock = await self.arrived("http", mock_id, now)
        except Unavailable as error:
            return unavailable(error)
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
        if tls is not None:
            with_tls(record, tls)
        served = await self.claim(mock, record)
        if not isinstance(served, Served):
            return served
        preset = served.preset
        assert preset is not None
        reply = served.reply or preset.reply
        if reply.shaped:  # a fault, pacing or drawn delay
            return await send_shaped(request, reply, record, served.made)
        sent: Reply | MadeReply = served.made or reply  # made: templated, or a body file
        if sent.after > 0:
            await _delay(request, sent.after)
        # proxy presets (proxying.py): one attribute check for every other reply
        if reply.proxy is not None:
            return await self.forward(mock, record, reply.proxy)
        # end proxy presets
        if preset.reply.webhooks:
            return await self._reply_then_call(request, mock, preset, record, sent)
        return web.Response(status=sent.status, body=sent.body, headers=sent.response_headers)

    async def claim(self, mock: Mock, record: RequestRecord) -> Served | web.Response:
        """Record a request read whole and claim the preset that answers it: what serving
        did (its ``preset`` set), or the response to send at once (no preset matched, the
        mock is gone, the store is away).

        Shared by :meth:`handle` (aiohttp) and :mod:`pretenders.server.mock_protocol`."""
        subject = MatchSubject(record)
        try:
            served = await self._serve(mock, subject, record)
        except Unavailable as error:  # not recorded: no reply but this one
            return unavailable(error)
        if served.gave_up:
            _report_gave_up(mock, served.gave_up, subject)
        if served.preset is None:
            if served.gone:
                return web.Response(status=404, text=f"No matching http mock: {mock.id}")
            return _no_match(mock, record, served)
        return served

    async def _reply_then_call(
        self,
        request: web.BaseRequest,
        mock: Mock,
        preset: Preset,
        record: RequestRecord,
        sent: Reply | MadeReply,
    ) -> web.StreamResponse:
        """Send the reply whole, then schedule the preset's webhooks."""
        response = web.Response(status=sent.status, body=sent.body, headers=sent.response_headers)
        with contextlib.suppress(ConnectionError):  # the client left: the request was served
            await response.prepare(request)
            await response.write_eof()
        if self.webhooks is not None:
            await self.webhooks.send(mock, preset.id, preset.reply.webhooks, record)
        return response


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


def with_tls(record: RequestRecord, tls: TlsFacts) -> None:
    """Stamp ``record`` with what its HTTPS connection tells."""
    record.tls = True
    record.server_name = tls.server_name
    record.client_cert = tls.client_cert
    record.client_cert_sha256 = tls.client_cert_sha256


def unavailable(error: Unavailable) -> web.Response:
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
        return unavailable(error)
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
