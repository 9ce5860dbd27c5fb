"""Replies shaped like a real network's: held back by a drawn delay, broken by a fault,
or paced out over time. Plain replies never come here (see ``MockEndpoint``).

Every wait ends when the client leaves (the reply's task is cancelled, so nothing is left
behind), and runs inside the request's handler, so the server's shutdown counts it among
the replies under way and cuts it after ``--shutdown-timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from aiohttp import web

from pretenders.server.core.pacing import PacingSpec, schedule
from pretenders.server.core.presets import Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.reply_render import MadeReply
from pretenders.server.faults import inflict
from pretenders.server.http_protocol import on_disconnect

_NO_BODY_STATUSES = frozenset({204, 304})


async def send_shaped(
    request: web.BaseRequest, reply: Reply, record: RequestRecord, made: MadeReply | None = None
) -> web.StreamResponse:
    """Serve a reply with a fault, pacing or drawn delay (``record``: as the store
    stamped it, with the delay drawn; ``made``: the reply rendered for this request, when
    it is templated)."""
    sent: Reply | MadeReply = made if made is not None else reply
    seconds = record.delay if record.delay is not None else reply.after
    with _ends_with_client(request):
        if seconds > 0:
            await asyncio.sleep(seconds)
        if reply.fault is not None:
            inflict(request.transport, reply.fault, reply)
            return web.Response()  # never sent: the connection is closing
        if reply.pacing is not None:
            return await _paced(request, sent, reply.pacing)
    return web.Response(status=sent.status, body=sent.body, headers=sent.response_headers)


@contextlib.contextmanager
def _ends_with_client(request: web.BaseRequest) -> Iterator[None]:
    """Cancel the current task if the client closes the connection meanwhile."""
    task = asyncio.current_task()
    forget = on_disconnect(request, task.cancel) if task is not None else None
    try:
        yield
    finally:
        if forget is not None:
            forget()


async def _paced(
    request: web.BaseRequest, reply: Reply | MadeReply, pacing: PacingSpec
) -> web.StreamResponse:
    """The head at once, then the body's pieces at the times the pacing gives."""
    response = web.StreamResponse(status=reply.status, headers=reply.response_headers)
    bodiless = request.method == "HEAD" or reply.status in _NO_BODY_STATUSES
    if "Content-Length" not in response.headers and not bodiless:
        response.content_length = len(reply.body)
    loop = asyncio.get_running_loop()
    try:
        await response.prepare(request)
        start = loop.time()
        for at, piece in schedule(pacing, reply.body):
            wait = start + at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if piece and not bodiless:
                await response.write(piece)
        await response.write_eof()
    except ConnectionResetError:  # the client left between two pieces
        pass
    return response
