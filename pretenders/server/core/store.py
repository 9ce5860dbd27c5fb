"""The store protocol: every operation on the server's state, each one atomic.

:class:`~pretenders.server.mocks.MockService` is the only caller; two implementations sit
below it: :class:`~pretenders.server.store.memory.MemoryStore` (one process, the default)
and :class:`~pretenders.server.store.redis.RedisStore` (any number of processes and
hosts on one Redis). The protocol is written so that each call can be one round trip to
a shared store: serving a request claims its preset and records it in one call.

What the store holds is data: preset definitions (:class:`~.matching.RuleSpec` and
:class:`~.presets.Reply` fields), records and near misses. What a process compiles from
them (regexes, the preset index) is its own cache, behind the store.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pretenders.server.core.history import HistoryStats
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.near_miss import Comparison
from pretenders.server.core.patterns import Pattern
from pretenders.server.core.preset_extra import PresetExtra
from pretenders.server.core.presets import Preset, Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import Mock, Protocol, Record, Timeout
from pretenders.server.core.reply_render import MadeReply
from pretenders.server.core.smtp_script import SmtpPreset, SmtpReply

RecordObserver = Callable[[Mock, int, Record], None]
"""Told of each new record: its mock, its sequence number in that mock, the record."""
RemovedObserver = Callable[[Mock], None]
"""Told of each mock deleted or expired (once, in every process)."""


@dataclass(slots=True)
class Served:
    """What serving one request did: the preset that answered it, or why none did."""

    preset: Preset | None = None
    """The preset claimed (one use counted); None when none matched."""
    comparison: Comparison | None = None
    """When none matched: the near misses, as recorded with the request."""
    preset_count: int = 0
    """How many presets the mock held when none matched (for the 404's text)."""
    gone: bool = False
    """The mock was deleted or expired before the request could be recorded."""
    gave_up: list[tuple[Preset, Pattern]] = field(default_factory=list)
    """Preset regexes that gave up on this request for the first time here (to log once)."""
    reply: Reply | None = None
    """The reply to send when it is not ``preset.reply`` (one of a preset's replies)."""
    made: MadeReply | None = None
    """The reply made for this request when it is made per request (templated, or a body
    file); None: the reply as it is."""


StateEntry = tuple[str, str | None, str]
"""One state machine instance: machine, key (None: unkeyed), state."""


class Store(abc.ABC):
    """The server's state: mocks, their presets and SMTP scripts, and their histories.

    Every method is atomic against every process sharing the store. Mocks are passed
    around as :class:`Mock` handles (plain data); a handle of a mock that was deleted
    meanwhile raises :class:`~.errors.UnknownMock` where it matters.
    """

    name: str
    """How errors name the store, e.g. ``memory`` or ``redis://127.0.0.1:6379/0``."""
    shared: bool
    """Whether several processes can share it (``--workers``)."""
    clock: Callable[[], float] = staticmethod(time.time)
    """The one clock of the server: request times, idle times, expiry."""

    async def start(self) -> None:  # noqa: B027 - a store with nothing to connect
        """Connect (a shared store); called once before the first request."""

    async def close(self) -> None:  # noqa: B027
        """Disconnect; called once when the server stops."""

    async def health(self) -> str | None:
        """None when the store answers; else what is wrong, for ``/health``."""
        return None

    async def shared_secret(self, name: str, make: Callable[[], bytes]) -> bytes:
        """A secret every process of the store agrees on (made with ``make`` the first time)."""
        return make()

    # Mocks

    @abc.abstractmethod
    async def create_or_join(
        self, protocol: Protocol, name: str | None, timeout: Timeout | str
    ) -> tuple[Mock, bool]:
        """The live mock called ``name``, or a new one (``timeout``: seconds, None, or
        ``"default"``), and whether it was created. Atomic: of two processes creating
        the same name at once, one creates and the other joins."""

    @abc.abstractmethod
    async def set_details(self, mock: Mock, details: dict[str, object]) -> None:
        """Store protocol facts of a mock (an SMTP mock's host, port and owner)."""

    @abc.abstractmethod
    async def find(self, mock_id: str) -> Mock | None:
        """The live mock with that id, of either protocol, or None."""

    @abc.abstractmethod
    async def arrived(self, protocol: Protocol, mock_id: str, now: float) -> Mock | None:
        """The live mock of ``protocol`` a request at ``now`` is for, or None. (The store
        may answer from a cache; :meth:`serve` checks again.)"""

    @abc.abstractmethod
    async def touch(self, mock: Mock, now: float) -> None:
        """Note a use of the mock: its idle time restarts."""

    @abc.abstractmethod
    async def list_mocks(self, protocol: Protocol) -> list[Mock]:
        """The live mocks of one protocol, oldest first."""

    @abc.abstractmethod
    async def delete(self, mock: Mock) -> bool:
        """Delete the mock with its presets and history; False if it was already gone."""

    @abc.abstractmethod
    async def prune(self) -> list[Mock]:
        """Delete every mock idle past its timeout; the ones this call deleted."""

    @abc.abstractmethod
    async def delete_all(self) -> None:
        """The server is stopping: delete the mocks that live only while it runs (all of
        them in memory; with a shared store, those listening in this process)."""

    # Presets

    @abc.abstractmethod
    async def add_preset(
        self,
        mock: Mock,
        rule: MatchRule,
        reply: Reply,
        times: object,
        priority: int | None = None,
        extra: PresetExtra | None = None,
    ) -> Preset:
        """Add a canned reply, tried after every one of its priority added before it
        (limits: refused); ``extra``: its replies and state machine, if any."""

    @abc.abstractmethod
    async def remove_preset(self, mock: Mock, preset_id: int) -> bool:
        """Remove one preset; False when it is not there (never added, or used up)."""

    @abc.abstractmethod
    async def presets(self, mock: Mock) -> list[Preset]:
        """An HTTP mock's presets, in the order they are tried."""

    @abc.abstractmethod
    async def clear_presets(self, mock: Mock) -> None:
        """Remove every preset and scripted reply of the mock."""

    @abc.abstractmethod
    async def serve(self, mock: Mock, subject: MatchSubject, record: RequestRecord) -> Served:
        """Claim the first preset matching the request (one use counted, never more than
        its ``times`` in all) and record the request as served by it; when none
        matches, record it with its near misses. One atomic step: the request is
        recorded exactly once, before any reply is sent."""

    # State machines

    @abc.abstractmethod
    async def states(self, mock: Mock) -> list[StateEntry]:
        """The mock's state machine instances not in ``start``, by machine and key."""

    @abc.abstractmethod
    async def set_state(self, mock: Mock, machine: str, key: str | None, state: str) -> None:
        """Put one instance in ``state`` (past MAX_STATE_KEYS instances: TooManyStates)."""

    @abc.abstractmethod
    async def reset_states(
        self, mock: Mock, machine: str | None = None, key: str | None = None
    ) -> int:
        """Move instances back to ``start``: all of them, those of one machine, or one
        (``key``); how many were moved."""

    @abc.abstractmethod
    async def add_smtp_reply(
        self, mock: Mock, stage: str, pattern: str | None, reply: SmtpReply, times: object
    ) -> SmtpPreset:
        """Add a scripted SMTP reply."""

    @abc.abstractmethod
    async def smtp_replies(self, mock: Mock) -> list[SmtpPreset]:
        """An SMTP mock's scripted replies, in the order they are tried."""

    @abc.abstractmethod
    async def claim_smtp_reply(
        self, mock: Mock, stage: str, argument: str
    ) -> tuple[SmtpReply | None, list[SmtpPreset]]:
        """The scripted reply for this stage (one use counted; None for the normal one),
        and the scripted replies whose regex gave up for the first time (to log once)."""

    # History

    @abc.abstractmethod
    async def record(self, mock: Mock, record: Record) -> None:
        """Append a complete record (served or not); observers hear of it."""

    @abc.abstractmethod
    async def amend_record(
        self, mock: Mock, record: RequestRecord, changes: dict[str, object]
    ) -> None:
        """Change fields of a record :meth:`serve` kept moments ago (a proxied request's
        upstream status, known once the upstream answered); a record already dropped
        from the history is left as it is."""

    @abc.abstractmethod
    async def history_stats(self, mock: Mock) -> HistoryStats:
        """How many records the mock received since its last reset, kept and dropped."""

    @abc.abstractmethod
    async def record_at(self, mock: Mock, position: int) -> Record | None:
        """The kept record at ``position`` (0 the oldest kept, -1 the latest), or None."""

    @abc.abstractmethod
    async def records(
        self, mock: Mock, start: int = 0, stop: int | None = None
    ) -> tuple[list[Record], int]:
        """The kept records from position ``start`` to before ``stop`` (None: to the
        latest), oldest first, and the sequence number the next record will get (a
        snapshot: later records do not show)."""

    @abc.abstractmethod
    async def clear_history(self, mock: Mock) -> None:
        """Forget what the mock received, and the count of dropped records."""

    # Events

    @abc.abstractmethod
    def follow(self, mock: Mock, observer: RecordObserver, since: int) -> Callable[[], None]:
        """Tell ``observer`` of each record of ``mock`` numbered ``since`` or later (the
        next number :meth:`records` gave), in order; returns the unsubscriber."""

    @abc.abstractmethod
    def observe(self, observer: RecordObserver) -> Callable[[], None]:
        """Tell ``observer`` of each new record of every mock; returns the unsubscriber."""

    @abc.abstractmethod
    def on_removed(self, callback: RemovedObserver) -> None:
        """Call ``callback(mock)`` whenever a mock is deleted or expires."""
