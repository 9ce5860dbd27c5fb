"""History: what a mock received, in arrival order, up to a limit."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Generic, TypeVar

Record = TypeVar("Record")


class History(Generic[Record]):
    """The newest ``limit`` records a mock received, oldest first (None: no limit).

    Past the limit each new record pushes out the oldest one, and ``dropped`` counts
    those, so that ``total`` still says how many were received: a count over the kept
    records can say what it does not see. Appends stay O(1). Positions index the kept
    records: 0 is the oldest one kept.
    """

    __slots__ = ("_records", "dropped", "limit")

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self._records: deque[Record] = deque(maxlen=limit)
        self.dropped = 0
        """How many of the oldest records were pushed out by the limit since the last reset."""

    def append(self, record: Record) -> None:
        if len(self._records) == self.limit:
            self.dropped += 1
        self._records.append(record)

    @property
    def total(self) -> int:
        """How many records were received since the last reset, dropped ones included."""
        return self.dropped + len(self._records)

    def get(self, position: int) -> Record | None:
        """The kept record at ``position`` (0 is the oldest kept), or None past either end."""
        if 0 <= position < len(self._records):
            return self._records[position]
        return None

    def clear(self) -> None:
        """Forget every record, and the count of dropped ones."""
        self._records.clear()
        self.dropped = 0

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)
