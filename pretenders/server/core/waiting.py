"""Waiting on the server: resolve when enough matching records have arrived, or time out.

Each waiter follows its mock in the store: a waiter is a future and a timer on the
event loop, never a thread or a poll loop.

A filter regex that gives up (:class:`RegexGaveUp`) ends the wait with that error, whether
on a record already there or on one that arrives later: the filter cannot tell whether
that record matches, and waiting on would time out without saying why.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.patterns import RegexGaveUp
from pretenders.server.core.registry import Mock, Record
from pretenders.server.core.scanning import select

if TYPE_CHECKING:
    from pretenders.server.core.store import Store

MAX_WAIT = 300.0
"""The longest wait one call may ask for, in seconds."""

Predicate = Callable[[Record], bool]


class Outcome(Enum):
    MET = "met"
    TIMED_OUT = "timed out"
    GONE = "gone"
    """The mock was deleted or expired while waited on."""


@dataclass
class WaitResult:
    outcome: Outcome
    records: list[Record]
    """The matching records seen, oldest first (all of them, even past the count)."""

    @property
    def met(self) -> bool:
        return self.outcome is Outcome.MET


@dataclass(eq=False)
class _Waiter:
    predicate: Predicate
    wanted: int
    seen: list[Record]
    future: asyncio.Future[Outcome]
    mock: Mock = field(repr=False)
    earlier: int = 0
    """Matching records found among those already there when the wait began."""
    first_new: int = 0
    """The number of the first record the snapshot of the history did not hold."""

    def on_record(self, mock: Mock, seq: int, record: Record) -> None:
        """A new record of the mock: count it if it matches (and is not in the snapshot)."""
        if self.future.done() or seq < self.first_new:
            return
        try:
            matches = self.predicate(record)
        except RegexGaveUp as error:
            self.fail(error)
            return
        if matches:
            self.seen.append(record)
            if self.earlier + len(self.seen) >= self.wanted:
                self.resolve(Outcome.MET)

    def resolve(self, outcome: Outcome) -> None:
        if not self.future.done():
            self.future.set_result(outcome)

    def fail(self, error: Exception) -> None:
        if not self.future.done():
            self.future.set_exception(error)


def check_wait(count: int, timeout: float) -> None:
    """Refuse a count below 1, or a timeout that is not 0 to MAX_WAIT seconds."""
    if count < 1:
        raise InvalidInput(f"count must be 1 or more, got {count}", field="count")
    if not (math.isfinite(timeout) and 0 <= timeout <= MAX_WAIT):
        raise InvalidInput(
            f"timeout must be a number of seconds from 0 to {MAX_WAIT:g}, got {timeout:g}",
            field="timeout",
        )


class Waiters:
    """Every pending wait on one store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._by_mock: dict[str, set[_Waiter]] = {}
        self._pending = 0
        store.on_removed(self._on_removed)

    @property
    def pending(self) -> int:
        """How many waits are in progress."""
        return self._pending

    async def wait(
        self, mock: Mock, predicate: Predicate, count: int, timeout: float
    ) -> WaitResult:
        """Wait until ``count`` records of ``mock`` match, counting those already there.

        Cancelling the call (the client went away) removes the waiter. The records already
        there are read in slices (see :mod:`scanning`), while new ones are watched for:
        from the snapshot's end on, by record number, so none is missed or counted twice.
        """
        check_wait(count, timeout)
        loop = asyncio.get_running_loop()
        waiter = _Waiter(predicate, count, [], loop.create_future(), mock)
        self._by_mock.setdefault(mock.id, set()).add(waiter)
        self._pending += 1
        timer = loop.call_later(timeout, waiter.resolve, Outcome.TIMED_OUT) if timeout else None
        unfollow: Callable[[], None] | None = None
        try:
            records, waiter.first_new = await self._store.records(mock)
            unfollow = self._store.follow(mock, waiter.on_record, waiter.first_new)
            earlier = await select(records, predicate)
            waiter.earlier = len(earlier)
            if len(earlier) + len(waiter.seen) >= count:
                outcome = Outcome.MET
            elif timeout == 0:
                outcome = Outcome.TIMED_OUT
            else:
                outcome = await waiter.future
        finally:
            if unfollow is not None:
                unfollow()
            if timer is not None:
                timer.cancel()
            self._forget(waiter)
        return WaitResult(outcome, earlier + waiter.seen)

    def _on_removed(self, mock: Mock) -> None:
        for waiter in self._by_mock.get(mock.id, ()):
            waiter.resolve(Outcome.GONE)

    def _forget(self, waiter: _Waiter) -> None:
        future = waiter.future
        if future.done() and not future.cancelled():
            future.exception()  # read: an error set while scanning is not "never retrieved"
        self._pending -= 1
        waiters = self._by_mock.get(waiter.mock.id)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self._by_mock[waiter.mock.id]
