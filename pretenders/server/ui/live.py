"""Live updates: each new request or mail, pushed to the pages watching, as server-sent events.

One observer on the mocks fans records out to one bounded buffer per open page.
A page that does not keep up is cut off (told so, and its browser reconnects) rather
than let its buffer grow; every stream ends when the server shuts down.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from aiohttp import web

from pretenders.server.core.errors import CoreError
from pretenders.server.core.records import MailRecord, RequestRecord
from pretenders.server.core.registry import Mock, Record
from pretenders.server.mocks import MockService
from pretenders.server.ui import present
from pretenders.server.ui.mail import mail_row
from pretenders.server.ui.security import secure

RETRY = b"retry: 2000\n\n"
"""Sent first: how soon (ms) a browser reconnects, and a sign the stream is open."""
HEARTBEAT = b": keep-alive\n\n"
OVERFLOW = b"event: overflow\ndata: {}\n\n"
CLOSED = b"event: closed\ndata: {}\n\n"


class Subscriber:
    """One open page: the events waiting to be written to it."""

    def __init__(self, mock_id: str | None, limit: int) -> None:
        self.mock_id = mock_id
        """Only this mock's events; None for every mock."""
        self.closed = False
        self._limit = limit
        self._pending: deque[bytes] = deque()
        self._ready = asyncio.Event()

    def wants(self, mock: Mock) -> bool:
        return self.mock_id is None or self.mock_id == mock.id

    def offer(self, chunk: bytes) -> bool:
        """Queue an event; False (and the stream is ended) when the page is too far behind."""
        if self.closed:
            return False
        if len(self._pending) >= self._limit:
            self.close(OVERFLOW)
            return False
        self._pending.append(chunk)
        self._ready.set()
        return True

    def close(self, last: bytes) -> None:
        """End the stream after ``last``, dropping whatever was not written yet."""
        self._pending.clear()
        self._pending.append(last)
        self.closed = True
        self._ready.set()

    async def take(self, timeout: float) -> list[bytes]:
        """What to write next: queued events, or a heartbeat after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except asyncio.TimeoutError:
            return [HEARTBEAT]
        self._ready.clear()
        chunks = list(self._pending)
        self._pending.clear()
        return chunks


class LiveFeed:
    """The server-sent event stream at ``/ui/events`` (``?mock=<id>`` for one mock).

    It observes the store only while a page is open (a shared store then tells this
    process of every process's records). Records are encoded in arrival order by one
    task; if they come faster than it keeps up, the pages are told to reload.
    """

    def __init__(self, mocks: MockService, limit: int = 500, heartbeat: float = 15.0) -> None:
        self.mocks = mocks
        self.limit = limit
        self.heartbeat = heartbeat
        """Seconds between keep-alives: a page that went away is noticed at the next one."""
        self._subscribers: set[Subscriber] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False
        self._arrived: deque[tuple[Mock, int, Record]] = deque()
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Nothing to do until a page opens."""

    def close(self) -> None:
        """Stop observing and end every open stream (so that shutdown does not wait on them)."""
        self._closed = True
        self._stop_observing()
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        for subscriber in self._subscribers:
            subscriber.close(CLOSED)
        self._subscribers.clear()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def _stop_observing(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._arrived.clear()

    def _on_record(self, mock: Mock, seq: int, record: Record) -> None:
        if not self._subscribers:
            return
        if len(self._arrived) >= self.limit:  # encoding falls behind: every page reloads
            self._arrived.clear()
            for subscriber in self._subscribers:
                subscriber.close(OVERFLOW)
            self._subscribers.clear()
            return
        self._arrived.append((mock, seq, record))
        self._wake.set()

    async def _encode_all(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._arrived:
                mock, seq, record = self._arrived.popleft()
                wanting = [s for s in self._subscribers if s.wants(mock)]
                if not wanting:
                    continue
                try:
                    chunk = await encode_event(self.mocks, mock, seq, record)
                except CoreError:  # the mock went, or the store is away: skip the row
                    continue
                for subscriber in wanting:
                    if not subscriber.offer(chunk):
                        self._subscribers.discard(subscriber)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        secure(response)
        if self._closed:
            response.set_status(503)
            return response
        subscriber = Subscriber(request.query.get("mock") or None, self.limit)
        self._subscribers.add(subscriber)
        if self._unsubscribe is None:
            self._unsubscribe = self.mocks.observe(self._on_record)
        if self._pump is None:
            self._pump = asyncio.create_task(self._encode_all())
        try:
            await response.prepare(request)
            await response.write(RETRY)
            while not subscriber.closed:
                await response.write(b"".join(await subscriber.take(self.heartbeat)))
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self._subscribers.discard(subscriber)
            if not self._subscribers:
                self._stop_observing()
        return response


async def encode_event(mocks: MockService, mock: Mock, seq: int, record: Record) -> bytes:
    """One ``record`` event: the new row, and the mock's counts to update on the page.

    ``seq`` is the record's sequence number in its mock, as the store told it: records
    that arrived after it (before this one was encoded) do not shift its row's number.

    Small whatever the number of presets: only the preset that served the request is
    described (its uses, or that it is gone), never the whole list; a page whose list
    no longer agrees with the count offers a reload.
    """
    stats = await mocks.history_stats(mock)
    _, next_seq = await mocks.store_records(mock, 0, 0)
    # The UI numbers records from the last reset: this one, less those that came after it.
    index = stats.total - (next_seq - seq)
    data: dict[str, Any] = {
        "mock": present.clean(mock.id),
        "protocol": mock.protocol,
        "records": stats.kept,
        "presets": await mocks.preset_count(mock),
        "last_call": present.clock(mock.last_call),
        "last_call_title": present.precise(mock.last_call),
        "href": present.ui_path(mock.protocol, mock.id),
    }
    if isinstance(record, RequestRecord):
        data["row"] = asdict(present.request_row(mock, index, record))
        data["preset"] = await _served_preset(mocks, mock, record.preset_id)
    elif isinstance(record, MailRecord):
        data["row"] = asdict(mail_row(mock, index, record))
    return b"event: record\ndata: " + json.dumps(data).encode() + b"\n\n"


async def _served_preset(
    mocks: MockService, mock: Mock, preset_id: int | None
) -> dict[str, Any] | None:
    """What the page shows of the preset that served a request: its uses, or that it went."""
    if preset_id is None:
        return None
    preset = await mocks.preset(mock, preset_id)
    if preset is None:  # used up, or removed meanwhile
        return {"id": str(preset_id), "gone": True}
    return {
        "id": str(preset_id),
        "gone": False,
        "times": present.times_text(preset),
        "served": preset.served,
    }
