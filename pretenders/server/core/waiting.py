"""Waiting on the server: resolve when enough matching records have arrived, or time out.

One registry observer serves every waiter, dispatching by mock id: a waiter is a future
and a timer on the event loop, never a thread or a poll loop.

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

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.patterns import RegexGaveUp
from pretenders.server.core.registry import Mock, Record, Registry
from pretenders.server.core.scanning import select

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
    """Every pending wait of one registry."""

    def __init__(self, registry: Registry) -> None:
        self._by_mock: dict[str, set[_Waiter]] = {}
        self._pending = 0
        registry.observe(self._on_record)
        registry.on_removed(self._on_removed)

    @property
    def pending(self) -> int:
        """How many waits are in progress."""
        return self._pending

    async def wait(
        self, mock: Mock, predicate: Predicate, count: int, timeout: float
    ) -> WaitResult:
        """Wait until ``count`` records of ``mock`` match, counting those already there.

        Cancelling the call (the client went away) removes the waiter. The records already
        there are read in slices (see :mod:`scanning`), while new ones are watched for.
        """
        check_wait(count, timeout)
        loop = asyncio.get_running_loop()
        waiter = _Waiter(predicate, count, [], loop.create_future(), mock)
        self._by_mock.setdefault(mock.id, set()).add(waiter)
        self._pending += 1
        timer = loop.call_later(timeout, waiter.resolve, Outcome.TIMED_OUT) if timeout else None
        try:
            earlier = await select(list(mock.history), predicate)
            waiter.earlier = len(earlier)
            if len(earlier) + len(waiter.seen) >= count:
                outcome = Outcome.MET
            elif timeout == 0:
                outcome = Outcome.TIMED_OUT
            else:
                outcome = await waiter.future
        finally:
            if timer is not None:
                timer.cancel()
            self._forget(waiter)
        return WaitResult(outcome, earlier + waiter.seen)

    def _on_record(self, mock: Mock, record: Record) -> None:
        waiters = self._by_mock.get(mock.id)
        if not waiters:
            return
        for waiter in waiters:
            if waiter.mock is not mock or waiter.future.done():
                continue
            try:
                matches = waiter.predicate(record)
            except RegexGaveUp as error:
                waiter.fail(error)
                continue
            if matches:
                waiter.seen.append(record)
                if waiter.earlier + len(waiter.seen) >= waiter.wanted:
                    waiter.resolve(Outcome.MET)

    def _on_removed(self, mock: Mock) -> None:
        for waiter in self._by_mock.get(mock.id, ()):
            if waiter.mock is mock:
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
