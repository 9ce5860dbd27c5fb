"""The one front door to the server's state: every mock, preset and record goes through here.

The admin API, the UI, ``--load`` files and both protocol adapters call a
:class:`MockService`; none of them touches a mock's presets, history or SMTP script, nor
the registry, itself (``tests/state_seam/test_boundaries.py`` checks it). Behind it is
the store, in memory today: the :class:`Registry` with its mocks, each holding a
:class:`PresetQueue`, a :class:`History` and an :class:`SmtpScript`. Keeping every
operation here, written once, is what lets another store take that one's place.

No web framework here: the callers turn requests into calls and results into answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import msgspec

from pretenders.common.constants import FOREVER
from pretenders.server import wire
from pretenders.server.core.errors import UnknownMock
from pretenders.server.core.history import HistoryStats
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.near_miss import Comparison, compare_presets
from pretenders.server.core.paging import Page, select, select_all
from pretenders.server.core.patterns import DEFAULT_TIMEOUT, Pattern
from pretenders.server.core.presets import Preset, PresetLimits, Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import Mock, Observer, Record, Registry
from pretenders.server.core.registry import Protocol as MockProtocol
from pretenders.server.core.scanning import select as scan
from pretenders.server.core.smtp_script import SmtpPreset, SmtpReply
from pretenders.server.core.waiting import Outcome, Predicate, Waiters, WaitResult, check_wait
from pretenders.server.limits import check_reply_body
from pretenders.server.settings import DEFAULT_MAX_BODY_SIZE, Settings

__all__ = ["MockAdapter", "MockService"]


class MockAdapter(Protocol):
    """What a protocol does when one of its mocks is created and how it describes it."""

    async def open(self, mock: Mock, options: wire.CreateMock) -> None:
        """Make a newly created mock reachable (an SMTP mock opens its port here)."""

    def describe(self, mock: Mock) -> msgspec.Struct:
        """The body of the create call's answer."""


class MockService:
    """Create, find and delete mocks; add and claim presets; record and read history.

    ``regex_timeout`` bounds every user regex compiled here (``--regex-timeout``);
    ``max_body_size`` every reply body added (``--max-body-size``).
    """

    def __init__(
        self,
        registry: Registry,
        *,
        regex_timeout: float = DEFAULT_TIMEOUT,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        self.registry = registry
        """The store: every mock, in memory."""
        self.regex_timeout = regex_timeout
        self.max_body_size = max_body_size
        self.adapters: dict[str, MockAdapter] = {}
        """The protocols this server serves, by name."""
        self.waiters = Waiters(registry)
        """The pending waits, fed by every record."""

    @classmethod
    def from_settings(cls, settings: Settings) -> MockService:
        """A service over a new, empty in-memory store, with the server's limits."""
        registry = Registry(
            default_timeout=settings.mock_timeout,
            history_limit=settings.history_limit,
            max_mocks=settings.max_mocks,
            history_bytes=settings.history_bytes,
            preset_limits=PresetLimits(settings.max_presets, settings.preset_bytes),
        )
        return cls(
            registry,
            regex_timeout=settings.regex_timeout,
            max_body_size=settings.max_body_size,
        )

    # Mocks

    async def open_mock(self, protocol: MockProtocol, options: wire.CreateMock) -> Mock:
        """The mock named in ``options``, created (and made reachable) if it does not exist."""
        wire.check_options(options)
        mock, created = self.registry.create_or_join(
            protocol, options.name, wire.timeout_of(options)
        )
        if created:
            try:
                await self.adapters[protocol].open(mock, options)
            except BaseException:
                self.registry.delete(protocol, mock.id)
                raise
        return mock

    def describe(self, mock: Mock) -> msgspec.Struct:
        """What the create call answers about ``mock`` (its path, or its SMTP address)."""
        return self.adapters[mock.protocol].describe(mock)

    def find(self, mock_id: str) -> Mock | None:
        """The live mock with that id, of either protocol, or None."""
        return self.registry.find(mock_id)

    def get(self, protocol: MockProtocol, mock_id: str) -> Mock:
        """The live mock of that protocol and id, or :class:`UnknownMock`."""
        return self.registry.get(protocol, mock_id)

    def get_any(self, mock_id: str) -> Mock:
        """The live mock with that id, of either protocol, or :class:`UnknownMock`."""
        mock = self.registry.find(mock_id)
        if mock is None:
            raise UnknownMock("http or smtp", mock_id)
        return mock

    def list_mocks(self, protocol: MockProtocol) -> list[Mock]:
        """The live mocks of one protocol, oldest first."""
        return list(self.registry.all(protocol))

    def delete(self, protocol: MockProtocol, mock_id: str) -> None:
        """Delete a mock with its presets and history (:class:`UnknownMock` if not live)."""
        self.registry.delete(protocol, mock_id)

    def prune(self) -> list[Mock]:
        """Delete every mock idle past its timeout; returns them."""
        return self.registry.prune()

    def delete_all(self) -> None:
        """Delete every mock (the server is stopping)."""
        self.registry.clear()

    def arrived(self, protocol: MockProtocol, mock_id: str, now: float) -> Mock | None:
        """The live mock of ``protocol`` a request at ``now`` is for, its idle time
        restarted; or None. (The mock path's :meth:`find` and :meth:`keep_alive` in one.)"""
        mock = self.registry.find(mock_id)
        if mock is None or mock.protocol != protocol:
            return None
        mock.touch(now)
        return mock

    def keep_alive(self, mock: Mock, now: float | None = None) -> None:
        """Note a use of ``mock`` (at ``now``, else the store's clock): its idle time restarts."""
        mock.touch(self.registry.clock() if now is None else now)

    def on_removed(self, callback: Callable[[Mock], None]) -> None:
        """Call ``callback(mock)`` whenever a mock is deleted or expires."""
        self.registry.on_removed(callback)

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(mock, record)`` for every new record; returns the unsubscriber."""
        return self.registry.observe(observer)

    # Presets

    def add_http_preset(self, mock: Mock, payload: wire.PresetIn) -> Preset:
        """Compile and add a canned reply from the admin API's fields (a bad regex or
        count, a body too large: refused here, naming the field)."""
        reply = wire.reply_of(payload)
        check_reply_body(reply.body, self.max_body_size)  # before compiling the regexes
        rule = wire.match_rule_of(payload.rule, timeout=self.regex_timeout)
        return self.add_preset(mock, rule, reply, payload.times)

    def add_preset(self, mock: Mock, rule: MatchRule, reply: Reply, times: object) -> Preset:
        """Add a canned reply already built (past --max-presets or --preset-bytes: refused)."""
        check_reply_body(reply.body, self.max_body_size)
        preset = mock.presets.add(rule, reply, times)
        self.keep_alive(mock)
        return preset

    def add_smtp_reply(self, mock: Mock, payload: wire.SmtpPresetIn) -> SmtpPreset:
        """Add a scripted SMTP reply."""
        preset = mock.script.add(
            payload.stage,
            payload.match,
            wire.smtp_reply_of(payload),
            payload.times,
            timeout=self.regex_timeout,
        )
        self.keep_alive(mock)
        return preset

    def add_any_preset(
        self, mock: Mock, payload: wire.PresetIn | wire.SmtpPresetIn
    ) -> Preset | SmtpPreset:
        """Add an HTTP preset or an SMTP scripted reply, as the payload says."""
        if isinstance(payload, wire.SmtpPresetIn):
            return self.add_smtp_reply(mock, payload)
        return self.add_http_preset(mock, payload)

    def check_preset(
        self, protocol: MockProtocol, payload: wire.PresetIn | wire.SmtpPresetIn
    ) -> None:
        """Refuse a preset as adding it would, without adding it anywhere (for ``--load``):
        it is added to a mock of its own, outside the store and its limits."""
        scratch = Mock(id="", protocol=protocol, timeout=None, start=0, last_call=0)
        self.add_any_preset(scratch, payload)

    def remove_preset(self, mock: Mock, preset_id: int) -> bool:
        """Remove one HTTP preset; False when it is not there (never added, or used up)."""
        return mock.presets.remove(preset_id)

    def presets_of(self, mock: Mock) -> list[Preset]:
        """An HTTP mock's presets, in the order they are tried."""
        return list(mock.presets)

    def scripted_replies(self, mock: Mock) -> list[SmtpPreset]:
        """An SMTP mock's scripted replies, in the order they are tried."""
        return list(mock.script)

    def preset(self, mock: Mock, preset_id: int) -> Preset | None:
        """One HTTP preset, or None (never added, used up, or removed)."""
        return mock.presets.get(preset_id)

    def preset_count(self, mock: Mock) -> int:
        """How many presets (HTTP) or scripted replies (SMTP) a mock holds."""
        return len(mock.script) if mock.protocol == "smtp" else len(mock.presets)

    async def list_presets(
        self, mock: Mock, page: Page, only_unused: bool = False
    ) -> tuple[list[Preset] | list[SmtpPreset], bool]:
        """A page of the mock's presets (or scripted replies), and whether more follow.

        ``only_unused``: only those still owed requests (uses left to count down, or
        FOREVER and never served; SMTP: uses left to count down).
        """
        if mock.protocol == "smtp":
            return await select(list(mock.script), page, _counting_down if only_unused else None)
        return await select(list(mock.presets), page, _unused if only_unused else None)

    def clear_presets(self, mock: Mock) -> None:
        """Remove every preset and scripted reply of the mock."""
        mock.presets.clear()
        mock.script.clear()

    def reset(self, mock: Mock) -> None:
        """Remove the mock's presets and forget what it received."""
        self.clear_presets(mock)
        self.clear_history(mock)

    # Serving

    def serve(self, mock: Mock, subject: MatchSubject, record: RequestRecord) -> Preset | None:
        """The mock path in one call: claim the first matching preset (one use counted) and
        record the request as served by it; None, with nothing recorded, when none matches."""
        preset = mock.presets.take(subject)
        if preset is not None:
            record.status = preset.reply.status
            record.preset_id = preset.id
            mock.record(record)
        return preset

    def claim_preset(self, mock: Mock, subject: MatchSubject) -> Preset | None:
        """The first preset matching the request, with one use counted; None if none."""
        return mock.presets.take(subject)

    def compare_presets(self, mock: Mock, subject: MatchSubject) -> Comparison:
        """The presets closest to a request none matched, for its near misses."""
        return compare_presets(mock.presets, subject)

    def newly_gave_up(self, mock: Mock, subject: MatchSubject) -> list[tuple[Preset, Pattern]]:
        """The presets whose regex gave up on this request for the first time (to log once)."""
        return mock.presets.newly_gave_up(subject)

    def claim_smtp_reply(
        self, mock: Mock, stage: str, argument: str
    ) -> tuple[SmtpReply | None, list[SmtpPreset]]:
        """The scripted reply for this stage (one use counted; None for the normal reply),
        and the scripted replies whose regex gave up for the first time (to log once)."""
        script = mock.script
        reply = script.take(stage, argument)
        gave_up: list[SmtpPreset] = []
        if script.gave_up:
            gave_up, script.gave_up = script.gave_up, []
        return reply, gave_up

    def add_to_history(self, mock: Mock, record: Record) -> None:
        """Record a complete request or mail (served or not); waits and live pages hear of it."""
        mock.record(record)

    # History

    def history_stats(self, mock: Mock) -> HistoryStats:
        """How many records the mock received since its last reset, kept and dropped."""
        return mock.history.stats()

    def record_at(self, mock: Mock, position: int) -> Record | None:
        """The kept record at ``position`` (0 is the oldest kept, -1 the latest), or None."""
        history = mock.history
        if position < 0:
            position += len(history)
        return history.get(position)

    def records(self, mock: Mock) -> list[Record]:
        """The kept records now, oldest first (a snapshot: later records do not show)."""
        return mock.history.snapshot()

    async def list_history(
        self, mock: Mock, page: Page, wanted: Predicate | None = None
    ) -> tuple[list[Record], bool]:
        """A page of the kept records (those ``wanted``), and whether more follow."""
        history = mock.history
        if wanted is None:
            return select_all(history, len(history), page)
        # Filtered a slice at a time: on a snapshot, which appends and drops leave be.
        return await select(history.snapshot(), page, wanted)

    async def count(self, mock: Mock, wanted: Predicate) -> tuple[int, int]:
        """How many kept records are ``wanted``, and how many older ones were dropped."""
        history = mock.history
        dropped = history.dropped  # of the records counted: the ones there now
        return len(await scan(history.snapshot(), wanted)), dropped

    async def wait(self, mock: Mock, wanted: Predicate, count: int, timeout: float) -> WaitResult:
        """Wait until ``count`` records are ``wanted``, counting those already there, or
        ``timeout`` seconds; :class:`UnknownMock` if the mock goes meanwhile."""
        check_wait(count, timeout)
        self.keep_alive(mock)
        result = await self.waiters.wait(mock, wanted, count, timeout)
        if result.outcome is Outcome.GONE:
            raise UnknownMock(mock.protocol, mock.id)
        self.keep_alive(mock)
        return result

    def clear_history(self, mock: Mock) -> None:
        """Forget what the mock received, and the count of dropped records."""
        mock.history.clear()


def _unused(preset: Preset) -> bool:
    return preset.unused


def _counting_down(preset: SmtpPreset) -> bool:
    return preset.times_left != FOREVER
