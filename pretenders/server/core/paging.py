"""Pages of long lists: which part a query asks for, picked without holding the loop."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

Item = TypeVar("Item")

SLICE_ITEMS = 200
"""Items filtered (or encoded) per turn of the loop, at most: a few milliseconds of work."""

MAX_INDEX = sys.maxsize
"""The largest ``offset`` or ``limit`` (2**63 - 1 on 64-bit machines): past any list."""


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
