"""History: what a mock received, in arrival order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

Record = TypeVar("Record")


class History(Generic[Record]):
    """An append-only list of records (appends are O(1)), cleared on reset."""

    __slots__ = ("_records",)

    def __init__(self) -> None:
        self._records: list[Record] = []

    def append(self, record: Record) -> None:
        self._records.append(record)

    def get(self, position: int) -> Record | None:
        """The record at ``position`` (0 is the oldest), or None past either end."""
        if 0 <= position < len(self._records):
            return self._records[position]
        return None

    def clear(self) -> None:
        self._records.clear()

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)
