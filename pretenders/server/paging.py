"""Long lists as answers: read by pages (``offset``/``limit``), written as a stream.

A history of 250,000 records or presets with large bodies must neither hold the event
loop while it is encoded nor exist twice in memory. The list is selected first (as
references, yielding to the loop between slices when a filter runs over it), then
encoded and written a slice at a time: each ``write`` waits for the socket to drain,
so other requests are served between slices and at most one slice is held encoded.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from pretenders.server.core.errors import InvalidInput

Item = TypeVar("Item")

SLICE_ITEMS = 200
"""Items encoded per write, at most: a few milliseconds of work between two turns of
the loop."""
SLICE_BYTES = 1024 * 1024
"""Encoded bytes gathered before a write, about (one large item may pass it)."""

PAGING = {
    "offset": "Skip this many records (after the filter, if any): 0, the default, starts "
    "at the oldest kept",
    "limit": "Answer at most this many records (after the filter); without it, all of them",
}
"""The query parameters that page a long list, with what they do (for the OpenAPI document)."""

MAX_INDEX = sys.maxsize
"""The largest ``offset`` or ``limit`` (2**63 - 1 on 64-bit machines): past any list."""

PAGING_SCHEMAS = {
    "offset": {"type": "integer", "minimum": 0, "maximum": MAX_INDEX, "default": 0},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_INDEX},
}

_JSON = "application/json"


@dataclass(frozen=True)
class Page:
    """Which part of a list a query asks for."""

    offset: int = 0
    limit: int | None = None

    @property
    def end(self) -> int | None:
        """Where the page stops (None: at the end of the list)."""
        return None if self.limit is None else min(self.offset + self.limit, MAX_INDEX)

    def next_offset(self, answered: int, more: bool) -> int | None:
        """The offset of the next page, or None when this one reached the end."""
        return self.offset + answered if more else None


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


def select_all(items: Iterable[Item], count: int, page: Page) -> tuple[list[Item], bool]:
    """The items of ``page`` among the ``count`` ``items``, and whether more follow
    (references, taken in one go)."""
    end = page.end
    chosen = list(itertools.islice(items, page.offset, end))
    return chosen, end is not None and end < count


async def select(
    items: Sequence[Item], page: Page, wanted: Callable[[Item], bool] | None
) -> tuple[list[Item], bool]:
    """The items of ``page`` among those ``wanted`` (all when None), and whether more follow.

    ``items`` must not change meanwhile (a snapshot): a filter runs a slice at a time,
    yielding to the loop in between.
    """
    if wanted is None:
        return select_all(items, len(items), page)
    end = page.end
    chosen: list[Item] = []
    seen = 0
    for start in range(0, len(items), SLICE_ITEMS):
        for item in items[start : start + SLICE_ITEMS]:
            if not wanted(item):
                continue
            if end is not None and seen >= end:
                return chosen, True
            if seen >= page.offset:
                chosen.append(item)
            seen += 1
        await asyncio.sleep(0)
    return chosen, False


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
