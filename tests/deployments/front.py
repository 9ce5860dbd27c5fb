"""An alternating front: one address, each request sent to the next backend in turn.

It stands for a load balancer before two pretenders hosts: request 1 goes to backend A,
request 2 to B, request 3 to A..., per request and not per connection, so a client on one
keep-alive connection talks to both. The method, the raw path and query (percent-encoding as
received), the headers (``Host`` included, as a load balancer keeps it) and the body go
through; the status, reason, headers and body come back, the body whole (a stream is
relayed once it ended). Hop-by-hop headers are dropped both ways.

Example::

    with AlternatingFront([("127.0.0.1", 8001), ("127.0.0.1", 8002)]) as front:
        httpx.get(front.url + "/http")  # to 8001
        httpx.get(front.url + "/http")  # to 8002
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from pretenders.server.http_protocol import AnyMethodServer

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

DROPPED = HOP_BY_HOP | {"content-length"}

TIMEOUT = 330.0
"""Seconds a backend may take to answer: longer than any wait a test holds open."""

MAX_BODY = 256 * 1024 * 1024
"""Bytes of request body the front reads: above every body limit the tests exercise."""


def end_to_end(raw_headers: Sequence[tuple[bytes, bytes]]) -> CIMultiDict[str]:
    """The headers to pass on, as sent (names' case, order, repeats), without the hop-by-hop
    ones and ``Content-Length`` (recomputed for the body passed on).

    A repeated name takes the case of its first occurrence: aiohttp's client keeps only the
    last of two spellings of one name (``X-A: 1``, ``x-a: 2``).
    """
    kept: CIMultiDict[str] = CIMultiDict()
    spelled: dict[str, str] = {}
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1")
        lower = name.lower()
        if lower not in DROPPED:
            kept.add(spelled.setdefault(lower, name), raw_value.decode("latin-1"))
    return kept


async def read_body(request: web.BaseRequest) -> bytes | None:
    """The whole body (it may come in several reads), or ``None`` past :data:`MAX_BODY`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(65536):
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class AlternatingFront:
    """A reverse proxy on ``127.0.0.1`` (a free port), in its own thread and loop."""

    def __init__(self, backends: Sequence[tuple[str, int]], timeout: float = TIMEOUT) -> None:
        if not backends:
            raise ValueError("an alternating front needs at least one backend")
        self.backends = list(backends)
        self.timeout = timeout
        self.forwarded: deque[int] = deque(maxlen=10_000)
        """Index of the backend each of the last requests went to, in order."""
        self._turns = itertools.cycle(range(len(self.backends)))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self._port: int | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the front is not running: call start() first")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> AlternatingFront:
        """Start serving; returns once the port is open."""
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready: Future[int] = Future()
        thread = threading.Thread(
            target=loop.run_until_complete, args=(self._serve(ready),), daemon=True
        )
        thread.start()
        try:
            self._port = ready.result(timeout)
        except BaseException:
            thread.join(timeout)
            raise
        self._loop, self._thread = loop, thread
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and the backend connections; returns with the thread gone."""
        loop, thread, stopped = self._loop, self._thread, self._stopped
        if loop is None or thread is None or stopped is None:
            return
        loop.call_soon_threadsafe(stopped.set)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = self._stopped = None
        self._port = None

    async def _serve(self, ready: Future[int]) -> None:
        self._stopped = asyncio.Event()
        try:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                auto_decompress=False,
                # Only what the client sent: no Accept, User-Agent or guessed Content-Type.
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
            )
            forward = self._forwarder(session)
            server = AnyMethodServer(forward, handler_cancellation=True)
            listener = await asyncio.get_running_loop().create_server(server, self.host, 0)
        except BaseException as error:
            ready.set_exception(error)
            raise
        ready.set_result(int(listener.sockets[0].getsockname()[1]))
        try:
            await self._stopped.wait()
        finally:
            listener.close()
            await server.shutdown(0)
            await listener.wait_closed()
            await session.close()

    def _forwarder(self, session: aiohttp.ClientSession) -> Handler:
        async def forward(request: web.BaseRequest) -> web.StreamResponse:
            turn = next(self._turns)
            self.forwarded.append(turn)
            host, port = self.backends[turn]
            body = await read_body(request)
            if body is None:
                return web.Response(status=413, text=f"the test front reads {MAX_BODY} bytes")
            headers = end_to_end(request.raw_headers)
            url = URL(f"http://{host}:{port}{request.raw_path}", encoded=True)
            try:
                async with session.request(
                    request.method,
                    url,
                    headers=headers,
                    data=body or None,
                    allow_redirects=False,
                ) as reply:
                    content = await reply.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                return web.Response(
                    status=502, text=f"the test front got no reply from {host}:{port}: {error!r}"
                )
            response = web.Response(
                status=reply.status,
                reason=reply.reason,
                body=content,
                headers=end_to_end(reply.raw_headers),
            )
            if request.method == "HEAD" and "Content-Length" in reply.headers:
                response.headers["Content-Length"] = reply.headers["Content-Length"]
            return response

        return forward

    def __enter__(self) -> AlternatingFront:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
