"""The real server, run in a background thread of the calling process.

Example::

    with EmbeddedServer() as server:
        mock = HTTPMock(server.host, server.port)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from aiohttp import web

from pretenders.server.app import RunningServer, start_server
from pretenders.server.settings import Settings

__all__ = ["EmbeddedServer"]

Result = TypeVar("Result")


class EmbeddedServer:
    """Starts the server on its own event loop in a daemon thread; port 0 picks a free port."""

    def __init__(self, settings: Settings | None = None, **options: Any) -> None:
        self.settings = settings or Settings(**{"port": 0, **options})
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: RunningServer | None = None

    @property
    def host(self) -> str:
        return self.settings.host

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the embedded server is not running: call start() first")
        return self._server.port

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the embedded server is not running: call start() first")
        return self._server.url

    @property
    def app(self) -> web.Application:
        """The running application (its state is only safe to change from its loop)."""
        if self._server is None:
            raise RuntimeError("the embedded server is not running: call start() first")
        return self._server.app

    def call_in_loop(self, function: Callable[[], Result], timeout: float = 10.0) -> Result:
        """Run ``function()`` on the server's loop, where its state may be changed, and
        return what it returns (e.g. to fill a history quickly in a test)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the embedded server is not running: call start() first")

        async def call() -> Result:
            return function()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout)

    def await_in_loop(
        self, function: Callable[[], Awaitable[Result]], timeout: float = 10.0
    ) -> Result:
        """Await ``function()`` on the server's loop and return its result: the state is
        behind the async :class:`~pretenders.server.mocks.MockService` (e.g. to fill a
        history quickly in a test through ``add_to_history``)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the embedded server is not running: call start() first")

        async def call() -> Result:
            return await function()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout)

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, timeout: float = 10.0) -> EmbeddedServer:
        """Start serving; returns once the port is open (or raises why it could not)."""
        if self._server is not None:
            return self
        loop = asyncio.new_event_loop()
        ready: Future[RunningServer] = Future()

        def run() -> None:
            asyncio.set_event_loop(loop)

            async def open_server() -> None:
                try:
                    ready.set_result(await start_server(self.settings))
                except BaseException as error:
                    ready.set_exception(error)

            loop.run_until_complete(open_server())
            if ready.exception() is None:
                loop.run_forever()
            _cancel_remaining_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        thread = threading.Thread(target=run, name="pretenders-embedded", daemon=True)
        thread.start()
        try:
            self._server = ready.result(timeout)
        except BaseException:
            thread.join(timeout)
            raise
        self._loop, self._thread = loop, thread
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Close every listener and end the thread; returns with the thread gone.

        Replies under way get the settings' ``shutdown_timeout`` to finish, then are cut;
        whatever is still running ``timeout`` seconds after the call (by default the
        shutdown timeout and a few seconds more) is cancelled.
        """
        server, loop, thread = self._server, self._loop, self._thread
        if server is None or loop is None or thread is None:
            return
        if timeout is None:
            timeout = self.settings.shutdown_timeout + STOP_MARGIN
        deadline = time.monotonic() + timeout
        stopping = asyncio.run_coroutine_threadsafe(server.stop(), loop)
        try:
            stopping.result(timeout)
        except (concurrent.futures.TimeoutError, asyncio.CancelledError):
            stopping.cancel()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            # The thread then cancels what is left; that takes a moment past the deadline.
            thread.join(max(deadline - time.monotonic(), 0) + STOP_MARGIN)
            self._server = self._loop = self._thread = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


STOP_MARGIN = 5.0
"""Seconds :meth:`EmbeddedServer.stop` allows past the shutdown timeout by default."""


def _cancel_remaining_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks the server left (as ``asyncio.run`` does), and let them end."""
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.wait(tasks, timeout=STOP_MARGIN))
