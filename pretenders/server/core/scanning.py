"""Reading through a long history without holding the event loop.

Matching 250,000 records against a filter takes a second or more, and one evaluation of a
user's regex may take up to the regex budget: the scan gives the loop back every few
milliseconds, so mocks, ``/health`` and SMTP sessions keep answering meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TypeVar

SLICE = 0.005
"""Seconds a scan runs before it lets the loop serve others."""

Item = TypeVar("Item")


async def sliced(items: Iterable[Item], slice_seconds: float = SLICE) -> AsyncIterator[Item]:
    """``items`` in order, giving the loop back whenever ``slice_seconds`` have passed.
    ``items`` must not change meanwhile: pass a copy of a live history."""
    clock = time.perf_counter
    deadline = clock() + slice_seconds
    for item in items:
        yield item
        if clock() > deadline:
            await asyncio.sleep(0)
            deadline = clock() + slice_seconds


async def select(
    items: Iterable[Item], predicate: Callable[[Item], bool], slice_seconds: float = SLICE
) -> list[Item]:
    """The items for which ``predicate`` is true, in order, yielding to the loop between
    slices (see :func:`sliced`)."""
    return [item async for item in sliced(items, slice_seconds) if predicate(item)]
