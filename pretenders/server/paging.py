"""Long lists as answers: read by pages (``offset``/``limit``), written as a stream.

A history of 250,000 records or presets with large bodies must neither hold the event
loop while it is encoded nor exist twice in memory. The list is selected first (as
references, yielding to the loop between slices when a filter runs over it), then
encoded and written a slice at a time: each ``write`` waits for the socket to drain,
so other requests are served between slices and at most one slice is held encoded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.paging import MAX_INDEX, SLICE_ITEMS, Page

Item = TypeVar("Item")

SLICE_BYTES = 1024 * 1024
"""Encoded bytes gathered before a write, about (one large item may pass it)."""

PAGING = {
    "offset": "Skip this many records (after the filter, if any): 0, the default, starts "
    "at the oldest kept",
    "limit": "Answer at most this many records (after the filter); without it, all of them",
}
"""The query parameters that page a long list, with what they do (for the OpenAPI document)."""

PAGING_SCHEMAS = {
    "offset": {"type": "integer", "minimum": 0, "maximum": MAX_INDEX, "default": 0},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_INDEX},
}

_JSON = "application/json"


def page_of(query: Mapping[str, str]) -> Page:
    """The ``offset`` and ``limit`` of a query, checked (a 400 naming the bad one)."""
    return Page(
        offset=_whole(query, "offset", least=0, default=0) or 0,
        limit=_whole(query, "limit", least=1, default=None),
    )


def without_paging(query: Mapping[str, str]) -> dict[str, str]:
    """The query's other parameters (e.g. filters)."""
    return {name: value for name, value in query.items() if name not in PAGING}


def _whole(query: Mapping[str, str], name: str, least: int, default: int | None) -> int | None:
    text = query.get(name)
    if text is None:
        return default
    try:
        number = int(text)
    except ValueError:
        number = least - 1
    if not least <= number <= MAX_INDEX:
        raise InvalidInput(
            f"{name} must be a whole number from {least} to {MAX_INDEX}, got {text!r}",
            field=name,
        )
    return number


async def stream_json_list(
    request: web.Request,
    items: Iterable[Item],
    encode: Callable[[Item], Any],
    headers: Mapping[str, str],
) -> web.StreamResponse:
    """Answer a JSON array of ``encode(item)``, written a slice at a time."""
    encoder = msgspec.json.Encoder()
    stream: web.StreamResponse | None = None
    pending: list[bytes] = []
    size = 0
    try:
        for item in items:
            chunk = encoder.encode(encode(item))
            pending.append(chunk)
            size += len(chunk)
            if len(pending) >= SLICE_ITEMS or size >= SLICE_BYTES:
                if stream is None:
                    stream = web.StreamResponse(headers={"Content-Type": _JSON, **headers})
                    await stream.prepare(request)
                    await stream.write(b"[" + b",".join(pending))
                else:
                    await stream.write(b"," + b",".join(pending))
                pending, size = [], 0
                await asyncio.sleep(0)  # a write that fits the buffer does not yield by itself
        if stream is None:  # one slice: an ordinary answer, with its Content-Length
            body = b"[" + b",".join(pending) + b"]"
            return web.Response(body=body, headers={"Content-Type": _JSON, **headers})
        await stream.write((b"," + b",".join(pending) if pending else b"") + b"]")
        await stream.write_eof()
        return stream
    except ConnectionResetError:  # the reader went away: nobody reads the rest
        if stream is None:
            raise
        return stream
