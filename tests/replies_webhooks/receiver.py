"""A local receiver for webhooks: an aiohttp server on 127.0.0.1, on a free port, in a
thread of its own, that records what it receives.

``/slow/...`` answers only once :meth:`Receiver.release` is called (or after 30 s);
``/redirect/...`` answers 302 to ``/elsewhere``; anything else answers 200 ``ok``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    """``time.time()`` when it arrived."""


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return int(self._runner.addresses[0][1])

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        with self._changed:
            self.received.append(
                Received(request.method, request.path, dict(request.headers), body, time.time())
            )
            self._changed.notify_all()
        if request.path.startswith("/slow"):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._released.wait(), 30)
        if request.path.startswith("/redirect"):
            raise web.HTTPFound("/elsewhere")
        return web.Response(text="ok")

    def release(self) -> None:
        """Let every ``/slow`` request answer."""
        self._loop.call_soon_threadsafe(self._released.set)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests received, waiting up to ``timeout`` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(
                    f"the receiver got {len(self.received)} requests, not {count}, "
                    f"within {timeout} s"
                )
            return list(self.received[:count])

    def stop(self) -> None:
        self.release()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def running_receiver() -> Iterator[Receiver]:
    """A started receiver, stopped afterwards (for a fixture)."""
    receiver = Receiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
