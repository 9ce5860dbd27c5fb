"""Sends the webhooks of served presets and records each call in the mock's history.

One :class:`WebhookSender` per server: it owns the HTTP client session (opened at
start-up, closed at shutdown) and the tasks of the calls under way, at most
``--webhook-max`` of them (a delayed call counts from the moment it is scheduled). Past
the cap a call is not made: it is recorded as skipped, never queued. Redirects are not
followed, cookies are not kept, and at most :data:`REPLY_BYTES` of an answer are read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from pretenders.server.core.errors import CoreError
from pretenders.server.core.records import RequestRecord, WebhookCall
from pretenders.server.core.registry import Mock
from pretenders.server.core.webhooks import OutboundRequest, Webhook, WebhookError
from pretenders.server.mocks import MockService

logger = logging.getLogger("pretenders.server")

REPLY_BYTES = 4096
"""How much of a webhook's answer is read and kept in the record."""


class WebhookSender:
    """Schedules webhook calls, bounded by ``max_in_flight``, and records how each went."""

    def __init__(self, mocks: MockService, max_in_flight: int) -> None:
        self.mocks = mocks
        self.max_in_flight = max_in_flight
        self._clock = mocks.store.clock
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        """Calls scheduled and not yet recorded (waiting for their ``after`` included)."""
        return len(self._tasks)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # only where the preset says: no proxy from the environment
            auto_decompress=False,
        )

    async def close(self) -> None:
        """Cancel the calls under way (they are not recorded) and close the session."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self, mock: Mock, preset_id: int, webhooks: tuple[Webhook, ...], served: RequestRecord
    ) -> None:
        """Schedule the webhooks of a preset that served ``served``; those past the cap are
        recorded as skipped here."""
        for webhook in webhooks:
            if len(self._tasks) >= self.max_in_flight or self._session is None:
                await self._skip(mock, preset_id, webhook, served)
                continue
            task = asyncio.create_task(self._call(mock, preset_id, webhook, served))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _skip(
        self, mock: Mock, preset_id: int, webhook: Webhook, served: RequestRecord
    ) -> None:
        spec = webhook.spec
        error = (
            f"skipped: {self.max_in_flight} webhook calls were already under way, the most "
            "this server makes at once (start it with a higher --webhook-max)"
        )
        outbound = OutboundRequest(spec.method, spec.url, spec.headers, b"")
        await self._record(mock, preset_id, outbound, self._clock(), None, 0.0, error, b"")

    async def _call(
        self, mock: Mock, preset_id: int, webhook: Webhook, served: RequestRecord
    ) -> None:
        spec = webhook.spec
        if spec.after > 0:
            await asyncio.sleep(spec.after)
        sent_at = self._clock()
        try:
            outbound = webhook.request(served)
        except WebhookError as error:
            outbound = OutboundRequest(spec.method, spec.url, spec.headers, b"")
            await self._record(mock, preset_id, outbound, sent_at, None, 0.0, str(error), b"")
            return
        status: int | None = None
        error_text: str | None = None
        reply = b""
        started = time.monotonic()
        assert self._session is not None  # set before any call is scheduled
        try:
            async with self._session.request(
                outbound.method,
                outbound.url,
                headers=list(outbound.headers),
                data=outbound.body,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=spec.timeout),
            ) as response:
                status = response.status
                reply = await _read_start(response)
        except asyncio.TimeoutError:
            status = None
            error_text = f"timed out after {spec.timeout:g} s (the webhook's timeout, at most 60)"
        except (aiohttp.ClientError, OSError, ValueError) as error:
            status = None
            error_text = f"{type(error).__name__}: {error}"
        duration = time.monotonic() - started
        await self._record(mock, preset_id, outbound, sent_at, status, duration, error_text, reply)

    async def _record(
        self,
        mock: Mock,
        preset_id: int,
        outbound: OutboundRequest,
        sent_at: float,
        status: int | None,
        duration: float,
        error: str | None,
        reply: bytes,
    ) -> None:
        record = RequestRecord(
            method=outbound.method,
            url=outbound.url,
            headers=outbound.headers,
            body=outbound.body,
            time=sent_at,
            status=status,
            preset_id=preset_id,
            webhook=WebhookCall(duration=duration, error=error, reply=reply),
        )
        try:
            await self.mocks.add_to_history(mock, record)
        except CoreError as problem:  # the mock is gone, or the store away
            logger.debug("webhook call of mock %s not recorded: %s", mock.id, problem)


async def _read_start(response: aiohttp.ClientResponse) -> bytes:
    """The first :data:`REPLY_BYTES` of an answer's body; the rest is left unread."""
    start = bytearray()
    while len(start) < REPLY_BYTES:
        chunk = await response.content.read(REPLY_BYTES - len(start))
        if not chunk:
            break
        start += chunk
    return bytes(start)


WEBHOOKS = web.AppKey("pretenders_webhooks", WebhookSender)


async def webhook_sender(app: web.Application) -> AsyncIterator[None]:
    """Open the sender's session at start-up; cancel its calls and close it at shutdown."""
    sender = app[WEBHOOKS]
    await sender.start()
    yield
    await sender.close()
