"""An index of presets by the literal prefix of their rule, to skip most regexes.

A rule is matched with ``re.match`` against ``"METHOD /path?query"``, so a rule whose regex
starts with the literal text ``GET /item/42`` can only match a request line that starts
with that text. Presets are kept in buckets by that prefix, one dict per prefix length; a
request looks up the slice of its line of each length in use (a handful), and the buckets
it finds are tried in the order the presets were added, so "first added, first tried"
holds exactly as for a linear scan.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import re
import sys
from collections.abc import Iterator
from typing import Any, Generic, Protocol, TypeVar

if sys.version_info >= (3, 11):
    from re import _constants as sre_constants
    from re import _parser as sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_constants
    import sre_parse


@functools.lru_cache(maxsize=4096)
def literal_prefix(pattern: str) -> str:
    """The text every string ``re.match(pattern, ...)`` accepts must start with ("" if none)."""
    try:
        parsed: Any = sre_parse.parse(pattern)
    except re.error:
        return ""
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return ""
    prefix = []
    for op, argument in parsed.data:
        if op is not sre_constants.LITERAL:
            break
        prefix.append(chr(argument))
    return "".join(prefix)


class Indexed(Protocol):
    """What the index needs of a preset: its place in the order presets are tried
    (priority, then the order they were added) and its prefix."""

    @property
    def order(self) -> tuple[int, int]: ...

    @property
    def prefix(self) -> str: ...


P = TypeVar("P", bound=Indexed)


class PresetIndex(Generic[P]):
    """Presets by literal prefix; ``candidates(line)`` yields the ones that may match, in order."""

    __slots__ = ("_buckets", "_lengths")

    def __init__(self) -> None:
        self._buckets: dict[int, dict[str, list[P]]] = {}
        self._lengths: list[int] = []

    def add(self, preset: P) -> None:
        prefix = preset.prefix
        length = len(prefix)
        if length not in self._buckets:
            self._buckets[length] = {}
            self._lengths = sorted(self._buckets)
        bisect.insort(self._buckets[length].setdefault(prefix, []), preset, key=_in_order)

    def remove(self, preset: P) -> None:
        prefix = preset.prefix
        by_prefix = self._buckets[len(prefix)]
        bucket = by_prefix[prefix]
        bucket.remove(preset)
        if not bucket:
            del by_prefix[prefix]
            if not by_prefix:
                del self._buckets[len(prefix)]
                self._lengths = sorted(self._buckets)

    def clear(self) -> None:
        self._buckets.clear()
        self._lengths = []

    def candidates(self, line: str) -> Iterator[P]:
        """Presets whose prefix starts ``line``, in the order they are tried."""
        found: list[list[P]] = []
        for length in self._lengths:
            if length > len(line):
                break
            bucket = self._buckets[length].get(line[:length])
            if bucket:
                found.append(bucket)
        if len(found) == 1:
            return iter(found[0])
        if sum(map(len, found)) <= _SORT_AT_MOST:  # a few: sorting beats merging lazily
            return iter(sorted([preset for bucket in found for preset in bucket], key=_in_order))
        # Callers stop at the first match before changing any bucket, so no copies.
        return heapq.merge(*found, key=_in_order)


_SORT_AT_MOST = 32


def _in_order(preset: Indexed) -> tuple[int, int]:
    return preset.order
