"""Pages of long lists: which part a query asks for, picked without holding the loop."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pretenders.server.core.scanning import sliced

Item = TypeVar("Item")

SLICE_ITEMS = 200
"""Items encoded per write of a streamed answer, at most."""

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

    ``items`` must not change meanwhile (a snapshot): the filter runs a few milliseconds
    at a time, yielding to the loop in between (each evaluation of a user's regex may take
    up to its budget, so a count of items per turn would not bound the turn).
    """
    if wanted is None:
        return select_all(items, len(items), page)
    end = page.end
    chosen: list[Item] = []
    seen = 0
    async for item in sliced(items):
        if not wanted(item):
            continue
        if end is not None and seen >= end:
            return chosen, True
        if seen >= page.offset:
            chosen.append(item)
        seen += 1
    return chosen, False
