"""Waiting on the server: resolve when enough matching records have arrived, or time out.

One registry observer serves every waiter, dispatching by mock id: a waiter is a future
and a timer on the event loop, never a thread or a poll loop.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.registry import Mock, Record, Registry

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

    def resolve(self, outcome: Outcome) -> None:
        if not self.future.done():
            self.future.set_result(outcome)


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

        Cancelling the call (the client went away) removes the waiter.
        """
        check_wait(count, timeout)
        seen = [record for record in mock.history if predicate(record)]
        if len(seen) >= count:
            return WaitResult(Outcome.MET, seen)
        if timeout == 0:
            return WaitResult(Outcome.TIMED_OUT, seen)
        loop = asyncio.get_running_loop()
        waiter = _Waiter(predicate, count, seen, loop.create_future(), mock)
        self._by_mock.setdefault(mock.id, set()).add(waiter)
        self._pending += 1
        timer = loop.call_later(timeout, waiter.resolve, Outcome.TIMED_OUT)
        try:
            outcome = await waiter.future
        finally:
            timer.cancel()
            self._forget(waiter)
        return WaitResult(outcome, waiter.seen)

    def _on_record(self, mock: Mock, record: Record) -> None:
        waiters = self._by_mock.get(mock.id)
        if not waiters:
            return
        for waiter in waiters:
            if waiter.mock is mock and not waiter.future.done() and waiter.predicate(record):
                waiter.seen.append(record)
                if len(waiter.seen) >= waiter.wanted:
                    waiter.resolve(Outcome.MET)

    def _on_removed(self, mock: Mock) -> None:
        for waiter in self._by_mock.get(mock.id, ()):
            if waiter.mock is mock:
                waiter.resolve(Outcome.GONE)

    def _forget(self, waiter: _Waiter) -> None:
        self._pending -= 1
        waiters = self._by_mock.get(waiter.mock.id)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self._by_mock[waiter.mock.id]
