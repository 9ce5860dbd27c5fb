"""Proxy presets: forward a matching request to a real upstream and answer what it answers.

Outbound traffic goes only where a preset points (``proxy.to``, given through the admin
API, behind its doors). The server owns one client session, opened at start-up and closed
at shutdown, with a bound on the connections it holds. The request is recorded in the
mock's history as served by the proxy preset; once the upstream has answered (or failed
to) the record gets its status and the URL it was forwarded to.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from pretenders.server.core.errors import CoreError
from pretenders.server.core.presets import SANDBOX
from pretenders.server.core.proxy_spec import HOP_BY_HOP, ProxySpec, upstream_url
from pretenders.server.core.records import Headers, RequestRecord
from pretenders.server.core.registry import Mock
from pretenders.server.mocks import MockService
from pretenders.server.recording import record_exchange

logger = logging.getLogger("pretenders.server")

MAX_UPSTREAM_CONNECTIONS = 100
"""Connections to upstreams the server holds at once; more forwarded requests wait."""
_CHUNK = 64 * 1024
_NOT_FORWARDED = frozenset({"host", "content-length"})
"""Set by the client session for the upstream (its host, the body's length)."""


class Forwarder:
    """Sends proxied requests upstream through the server's one client session."""

    def __init__(self, mocks: MockService, max_body_size: int) -> None:
        self.mocks = mocks
        self.max_body_size = max_body_size
        """An upstream reply body past this is a 502 (``--max-body-size``)."""
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the client session (at server start-up)."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=MAX_UPSTREAM_CONNECTIONS),
            cookie_jar=aiohttp.DummyCookieJar(),  # each request carries its own cookies
            auto_decompress=False,  # the body is passed on as encoded, with its header
            trust_env=False,  # only where the preset points: no proxy from the environment
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
        )

    async def close(self) -> None:
        """Close the client session (at server shutdown)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __call__(
        self, mock: Mock, record: RequestRecord, proxy: ProxySpec
    ) -> web.StreamResponse:
        """Forward the request recorded as ``record`` and answer the upstream's reply."""
        url = upstream_url(proxy.to, record.url)
        session = self._session
        if session is None:  # not started: an application run without its start-up
            return await self._failed(mock, record, url, 502, "the server is stopping")
        try:
            async with session.request(
                record.method,
                URL(url, encoded=True),
                headers=_request_headers(record.headers, proxy),
                data=record.body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=proxy.timeout),
            ) as upstream:
                body = await _read_bounded(upstream, self.max_body_size)
                if body is None:
                    why = (
                        f"the upstream's reply body is over this server's limit of "
                        f"{self.max_body_size} bytes; start the server with a higher "
                        "--max-body-size"
                    )
                    return await self._failed(mock, record, url, 502, why)
                status = upstream.status
                headers = _reply_headers(upstream.headers, record.method)
        except asyncio.TimeoutError:
            why = f"the upstream did not answer within {proxy.timeout:g} s (proxy.timeout)"
            return await self._failed(mock, record, url, 504, why)
        except (aiohttp.ClientError, OSError, ValueError) as error:
            why = f"the upstream could not be reached: {error or type(error).__name__}"
            return await self._failed(mock, record, url, 502, why)
        await self._amend(mock, record, {"status": status, "proxied": url})
        if proxy.record is not None:
            await record_exchange(self.mocks, mock, record, proxy.record, status, headers, body)
        response_headers = CIMultiDict(headers)
        response_headers.extend(SANDBOX)
        return web.Response(status=status, body=body, headers=response_headers)

    async def _failed(
        self, mock: Mock, record: RequestRecord, url: str, status: int, why: str
    ) -> web.Response:
        changes: dict[str, object] = {"status": status, "proxied": url, "proxy_error": why}
        await self._amend(mock, record, changes)
        text = f"pretenders proxy: {url}: {why}\n"
        return web.Response(status=status, text=text, headers=dict(SANDBOX))

    async def _amend(self, mock: Mock, record: RequestRecord, changes: dict[str, object]) -> None:
        try:
            await self.mocks.amend_record(mock, record, changes)
        except CoreError as error:  # deleted meanwhile, or the store away: the reply stands
            logger.debug("HTTP mock %s: proxied request not amended: %s", mock.id, error)


def _request_headers(headers: Headers, proxy: ProxySpec) -> CIMultiDict[str]:
    """The request's headers (as recorded) as forwarded: the connection's own and those
    removed left out, those added set."""
    dropped = set(HOP_BY_HOP | _NOT_FORWARDED)
    for name, named in headers:
        if name.lower() == "connection":
            dropped.update(token.strip().lower() for token in named.split(","))
    dropped.update(name.lower() for name in proxy.remove_headers)
    forwarded = CIMultiDict((k, v) for k, v in headers if k.lower() not in dropped)
    for name, value in (proxy.add_headers or {}).items():
        forwarded[name] = value
    return forwarded


def _reply_headers(headers: CIMultiDictProxy[str], method: str) -> list[tuple[str, str]]:
    """The upstream's reply headers as passed on: the connection's own left out, and the
    length (the server frames the body itself) except for HEAD."""
    dropped = set(HOP_BY_HOP)
    for named in headers.getall("Connection", ()):
        dropped.update(token.strip().lower() for token in named.split(","))
    if method != "HEAD":
        dropped.add("content-length")
    return [(str(k), v) for k, v in headers.items() if k.lower() not in dropped]


async def _read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The reply body, or None when it is over ``limit`` bytes (read no further)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await response.content.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
