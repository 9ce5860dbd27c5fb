"""A real upstream for proxy tests: an aiohttp server on 127.0.0.1, on a free port, in a
thread of its own, recording what it receives."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from typing import Any

from aiohttp import web


class Upstream:
    """``/echo...`` answers what it got as JSON; ``/status/<n>``, ``/slow``, ``/big``,
    ``/gzip`` and ``/cookies`` answer as their names say. ``stop()`` closes the port."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Upstream:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._runner = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if not self._loop.is_closed():
            self._loop.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen = {
            "method": request.method,
            "path": request.path,
            "raw_path": request.raw_path,
            "query": dict(request.query),
            "headers": dict(request.headers),
            "body": body.decode("utf-8", "replace"),
        }
        self.received.append(seen)
        path = request.path
        if path.startswith("/status/"):
            return web.Response(status=int(path.rsplit("/", 1)[1]), text="as asked")
        if path == "/counter":
            return web.Response(text=str(len(self.received)), headers={"X-Count": "yes"})
        if path == "/slow":
            await asyncio.sleep(5)
            return web.Response(text="late")
        if path == "/big":
            return web.Response(body=b"x" * 5000)
        if path == "/gzip":
            return web.Response(
                body=gzip.compress(b"squeezed"),
                headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
            )
        if path == "/cookies":
            response = web.Response(text="two cookies")
            response.headers.add("Set-Cookie", "a=1")
            response.headers.add("Set-Cookie", "b=2")
            return response
        return web.Response(
            text=json.dumps(seen),
            content_type="application/json",
            headers={"X-Upstream": "yes", "Connection": "keep-alive"},
        )
