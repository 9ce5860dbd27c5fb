"""The mock registry: create or join mocks by name, expire idle ones, delete them."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from pretenders.server.core.errors import InvalidInput, NameConflict, TooManyMocks, UnknownMock
from pretenders.server.core.history import ByteBudget, History
from pretenders.server.core.presets import PresetLimits, PresetQueue
from pretenders.server.core.records import MailRecord, RequestRecord, recorded_bytes
from pretenders.server.core.smtp_script import SmtpScript

Protocol = Literal["http", "smtp"]
Record = RequestRecord | MailRecord
Observer = Callable[["Mock", int, Record], None]
"""Called with each record as it is added to a mock's history: the mock, the record's
sequence number in that mock, the record."""
Timeout = float | None
"""Seconds a mock may stay idle before it is removed; None for never."""

MIN_TIMEOUT = 0.1
"""The shortest timeout, in seconds: below the prune interval's order of magnitude a
mock would be gone before its creator could use it (and 1e-300 is a typo, not a plan)."""
MAX_TIMEOUT = 1e12
"""The longest timeout, in seconds (about 31,000 years): past what ``str(timedelta)``
can show, a mock would break every listing it appears in."""

_FORBIDDEN_NAME_CHARACTERS = frozenset("/?#%\\") | frozenset(" \t\r\n")


@dataclass(eq=False)
class Mock:
    """One fake service, as a handle: what it is and when it was used, no state."""

    id: str
    protocol: Protocol
    timeout: Timeout
    start: float
    last_call: float
    details: dict[str, object] = field(default_factory=dict)
    """Protocol-specific facts, e.g. the SMTP listener's host and port."""

    @property
    def name(self) -> str:
        """Mocks are addressed by name: a mock created without one is named by its id."""
        return self.id

    def expired(self, now: float) -> bool:
        return self.timeout is not None and now - self.last_call > self.timeout


@dataclass(eq=False)
class LiveMock(Mock):
    """A mock of the in-memory store, with its state: presets, history, SMTP script."""

    presets: PresetQueue = field(default_factory=PresetQueue)
    history: History[Record] = field(default_factory=History)
    script: SmtpScript = field(default_factory=SmtpScript)
    """Scripted replies of an SMTP mock."""
    observers: list[Observer] = field(default_factory=list)
    """The registry's observers (the same list object), told of every record."""
    followers: list[Observer] = field(default_factory=list)
    """Observers of this mock alone."""
    removed: bool = False
    """Deleted or expired: a request that arrived before is not served nor recorded."""
    states: dict[str, str] = field(default_factory=dict)
    """Its state machines' instances not in ``start`` (see core/state_machines.py)."""

    def record(self, record: Record) -> None:
        """Add a complete record (served or not) to the history and tell the observers."""
        history = self.history
        history.append(record)
        seq = history.next_seq - 1
        for observer in self.observers:
            observer(self, seq, record)
        for follower in self.followers:
            follower(self, seq, record)

    def touch(self, now: float) -> None:
        """Note a use, which keeps the mock alive."""
        self.last_call = now


def check_name(name: str) -> str:
    """A mock name becomes part of URLs: refuse characters that would break them."""
    bad = sorted(set(name) & _FORBIDDEN_NAME_CHARACTERS)
    if bad:
        raise InvalidInput(
            f"name {name!r} may not contain {' '.join(repr(c) for c in bad)}", field="name"
        )
    return name


def check_timeout(timeout: Timeout) -> Timeout:
    if timeout is not None and not (
        math.isfinite(timeout) and MIN_TIMEOUT <= timeout <= MAX_TIMEOUT
    ):
        raise InvalidInput(
            f"pretender_timeout must be a number of seconds >= {MIN_TIMEOUT:g} and "
            f"<= {MAX_TIMEOUT:g}, "
            f'or "FOREVER", got {timeout}',
            field="pretender_timeout",
        )
    return timeout


class Registry:
    """Every live mock of the server, kept in memory.

    A mock idle for longer than its timeout counts as gone as soon as that happens,
    even before :meth:`prune` removes it.
    """

    def __init__(
        self,
        default_timeout: Timeout = 120.0,
        clock: Callable[[], float] = time.time,
        history_limit: int | None = None,
        max_mocks: int | None = None,
        history_bytes: int | None = None,
        preset_limits: PresetLimits | None = None,
    ) -> None:
        self.default_timeout = check_timeout(default_timeout)
        self.clock = clock
        self.history_limit = history_limit
        """The most records each mock keeps (None: no limit); older ones are dropped."""
        self.max_mocks = max_mocks
        """The most live mocks, HTTP and SMTP together (None: no limit)."""
        self.budget: ByteBudget[Record] | None = (
            ByteBudget(history_bytes, recorded_bytes) if history_bytes is not None else None
        )
        """The bytes all histories together keep (None: no limit); oldest dropped first."""
        self.preset_limits = preset_limits or PresetLimits()
        """The caps on presets, shared by every mock."""
        self._mocks: dict[str, LiveMock] = {}
        self._on_removed: list[Callable[[Mock], None]] = []
        self._observers: list[Observer] = []

    def on_removed(self, callback: Callable[[Mock], None]) -> None:
        """Call ``callback(mock)`` whenever a mock is deleted or expires."""
        self._on_removed.append(callback)

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(mock, record)`` for every new record; returns the unsubscriber."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def create_or_join(
        self, protocol: Protocol, name: str | None, timeout: Timeout | Literal["default"]
    ) -> tuple[LiveMock, bool]:
        """The mock called ``name`` (created if needed), and whether it was created."""
        now = self.clock()
        if name:
            existing = self._live(name, now)
            if existing is not None:
                if existing.protocol != protocol:
                    raise NameConflict(
                        f"name {name!r} is taken by an {existing.protocol.upper()} mock",
                        field="name",
                    )
                existing.touch(now)
                return existing, False
            mock_id = check_name(name)
        else:
            mock_id = str(uuid.uuid4())
        self._check_room()
        chosen = self.default_timeout if timeout == "default" else check_timeout(timeout)
        mock = LiveMock(
            id=mock_id,
            protocol=protocol,
            timeout=chosen,
            start=now,
            last_call=now,
            history=History(self.history_limit, self.budget),
            presets=PresetQueue(self.preset_limits),
            script=SmtpScript(self.preset_limits),
            observers=self._observers,
        )
        self._mocks[mock_id] = mock
        return mock, True

    def _check_room(self) -> None:
        """Refuse a new mock at the limit (joining an existing one is always fine)."""
        if self.max_mocks is None or len(self._mocks) < self.max_mocks:
            return
        self.prune()  # mocks that timed out but were not pruned yet leave room
        if len(self._mocks) >= self.max_mocks:
            raise TooManyMocks(
                f"this server already has {len(self._mocks)} live mocks, its limit: delete "
                "some (DELETE /http/<id> or /smtp/<id>; DELETE /http?stale=1 removes idle "
                "ones) or start the server with a higher --max-mocks"
            )

    def get(self, protocol: Protocol, mock_id: str) -> LiveMock:
        """The live mock with that id, or UnknownMock."""
        mock = self._live(mock_id, self.clock())
        if mock is None or mock.protocol != protocol:
            raise UnknownMock(protocol, mock_id)
        return mock

    def find(self, mock_id: str) -> LiveMock | None:
        """The live mock with that id, of any protocol."""
        return self._live(mock_id, self.clock())

    def delete(self, protocol: Protocol, mock_id: str) -> None:
        self._remove(self.get(protocol, mock_id))

    def clear(self) -> None:
        """Remove every mock (the server is stopping)."""
        for mock in list(self._mocks.values()):
            self._remove(mock)

    def prune(self) -> list[LiveMock]:
        """Remove every expired mock; return them."""
        now = self.clock()
        expired = [mock for mock in self._mocks.values() if mock.expired(now)]
        for mock in expired:
            self._remove(mock)
        return expired

    def all(self, protocol: Protocol) -> Iterator[LiveMock]:
        now = self.clock()
        return iter(
            [m for m in self._mocks.values() if m.protocol == protocol and not m.expired(now)]
        )

    def _live(self, mock_id: str, now: float) -> LiveMock | None:
        mock = self._mocks.get(mock_id)
        if mock is not None and mock.expired(now):
            self._remove(mock)
            return None
        return mock

    def _remove(self, mock: LiveMock) -> None:
        if self._mocks.get(mock.id) is mock:
            del self._mocks[mock.id]
            mock.removed = True
            # Give its bytes back to the server's budgets.
            mock.history.clear()
            mock.presets.clear()
            mock.script.clear()
            for callback in self._on_removed:
                callback(mock)
