"""The one front door to the server's state: every mock, preset and record goes through here.

The admin API, the UI, ``--load`` files and both protocol adapters call a
:class:`MockService`; none of them touches a store itself
(``tests/state_seam/test_boundaries.py`` checks it). The service turns the wire's inputs
into checked, compiled presets and calls the :class:`~pretenders.server.core.store.Store`
below it: the in-memory store by default, or Redis (``--store redis://...``), which
several processes and hosts share. Every operation is written once, here or in a store.

No web framework here: the callers turn requests into calls and results into answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Protocol

import msgspec

from pretenders.common.constants import FOREVER
from pretenders.server import wire
from pretenders.server.core.errors import (
    CoreError,
    InvalidInput,
    TooLarge,
    TooManyPresets,
    UnknownMock,
)
from pretenders.server.core.history import HistoryStats
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.paging import MAX_INDEX, Page, select
from pretenders.server.core.patterns import DEFAULT_TIMEOUT
from pretenders.server.core.preset_extra import PresetExtra
from pretenders.server.core.presets import Preset, Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import Mock, Record
from pretenders.server.core.registry import Protocol as MockProtocol
from pretenders.server.core.reply_render import ReplyOptions
from pretenders.server.core.scanning import select as scan
from pretenders.server.core.smtp_script import SmtpPreset, SmtpReply
from pretenders.server.core.state_machines import check_key, check_name
from pretenders.server.core.store import (
    RecordObserver,
    RemovedObserver,
    Served,
    StateEntry,
    Store,
)
from pretenders.server.core.waiting import Outcome, Predicate, Waiters, WaitResult, check_wait
from pretenders.server.limits import check_reply_body
from pretenders.server.settings import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_PRESETS, Settings
from pretenders.server.store import open_store

__all__ = ["MockAdapter", "MockService"]


class MockAdapter(Protocol):
    """What a protocol does when one of its mocks is created and how it describes it."""

    async def open(self, mock: Mock, options: wire.CreateMock) -> dict[str, object]:
        """Make a newly created mock reachable (an SMTP mock opens its port here); the
        facts to store with it (its address)."""

    def describe(self, mock: Mock) -> msgspec.Struct:
        """The body of the create call's answer."""


class MockService:
    """Create, find and delete mocks; add and claim presets; record and read history.

    ``regex_timeout`` bounds every user regex compiled here (``--regex-timeout``);
    ``max_body_size`` every reply body added (``--max-body-size``).
    """

    def __init__(
        self,
        store: Store,
        *,
        regex_timeout: float = DEFAULT_TIMEOUT,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        reply_options: ReplyOptions | None = None,
        max_presets: int | None = DEFAULT_MAX_PRESETS,
    ) -> None:
        self.store = store
        self.reply_options = reply_options or ReplyOptions(None, max_body_size, regex_timeout)
        """The files root and limits of replies made per request (templates, body files)."""
        """Where the state is: in memory, or shared (Redis)."""
        self.regex_timeout = regex_timeout
        self.max_body_size = max_body_size
        self.max_presets = max_presets
        """The most presets one mock holds (``--max-presets``), which also bounds the
        presets given when a mock is created."""
        self.adapters: dict[str, MockAdapter] = {}
        """The protocols this server serves, by name."""
        self.waiters = Waiters(store)
        """The pending waits."""
        # The mock path's two calls go straight to the store: one coroutine less each.
        self.arrived: Callable[[MockProtocol, str, float], Awaitable[Mock | None]]
        self.arrived = store.arrived
        """The live mock of a protocol a request at a time is for, or None."""
        self.serve: Callable[[Mock, MatchSubject, RequestRecord], Awaitable[Served]]
        self.serve = store.serve
        """The mock path in one call: claim the first matching preset (one use counted)
        and record the request as served by it, or with its near misses when none
        matches (see :meth:`Store.serve`)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> MockService:
        """A service over the store ``settings.store`` names, with the server's limits."""
        return cls(
            open_store(settings),
            regex_timeout=settings.regex_timeout,
            max_body_size=settings.max_body_size,
            reply_options=settings.reply_options(),
            max_presets=settings.max_presets,
        )

    async def start(self) -> None:
        """Connect to the store."""
        await self.store.start()

    async def close(self) -> None:
        """Disconnect from the store."""
        await self.store.close()

    async def health(self) -> str | None:
        """None when the store answers, else what is wrong."""
        return await self.store.health()

    # Mocks

    async def open_mock(self, protocol: MockProtocol, options: wire.CreateMock) -> Mock:
        """The mock named in ``options``, created (and made reachable) if it does not exist."""
        mock, _ = await self.open_or_join(protocol, options)
        return mock

    async def open_or_join(
        self, protocol: MockProtocol, options: wire.CreateMock
    ) -> tuple[Mock, bool]:
        """:meth:`open_mock`, and whether the mock was created (False: it existed)."""
        wire.check_options(options)
        mock, created = await self.store.create_or_join(
            protocol, options.name, wire.timeout_of(options)
        )
        if created:
            try:
                details = await self.adapters[protocol].open(mock, options)
                if details:
                    await self.store.set_details(mock, details)
            except BaseException:
                await self.store.delete(mock)
                raise
        return mock, created

    async def open_http_mock(self, options: wire.CreateHttpMock) -> Mock:
        """:meth:`open_mock` for HTTP, with ``options.presets`` added in the same call.

        Every preset is checked (and compiled) before the mock is created: a bad one is
        refused naming its index, and nothing is created. Should the store then refuse one
        (``--preset-bytes``), a mock this call created is deleted again, and the presets
        it added to a mock it joined are removed.
        """
        prepared = self._prepare_all(options.presets or [])
        mock, created = await self.open_or_join("http", options)
        added: list[Preset] = []
        try:
            for index, (rule, reply, extra, payload) in enumerate(prepared):
                try:
                    preset = await self.store.add_preset(
                        mock, rule, reply, payload.times, payload.priority, extra
                    )
                except CoreError as error:
                    raise _at(index, error) from None
                added.append(preset)
        except BaseException:
            if created:
                await self.store.delete(mock)
            else:
                for preset in added:
                    with suppress(CoreError):  # the mock went meanwhile: nothing to undo
                        await self.store.remove_preset(mock, preset.id)
            raise
        return mock

    def _prepare_all(self, payloads: list[wire.PresetIn]) -> list[_Prepared]:
        """Check and compile the presets of a create call, naming the index of a bad one."""
        if self.max_presets is not None and len(payloads) > self.max_presets:
            raise TooManyPresets(
                f"presets: {len(payloads)} given, and one mock holds at most "
                f"{self.max_presets}: give fewer, or start the server with a higher "
                "--max-presets",
                field="presets",
            )
        prepared: list[_Prepared] = []
        for index, payload in enumerate(payloads):
            try:
                rule, reply, extra = self._compile_http(payload)
                Preset(0, rule, reply, payload.times, priority=payload.priority, extra=extra)
            except CoreError as error:
                raise _at(index, error) from None
            prepared.append((rule, reply, extra, payload))
        return prepared

    def describe(self, mock: Mock) -> msgspec.Struct:
        """What the create call answers about ``mock`` (its path, or its SMTP address)."""
        return self.adapters[mock.protocol].describe(mock)

    async def find(self, mock_id: str) -> Mock | None:
        """The live mock with that id, of either protocol, or None."""
        return await self.store.find(mock_id)

    async def get(self, protocol: MockProtocol, mock_id: str) -> Mock:
        """The live mock of that protocol and id, or :class:`UnknownMock`."""
        mock = await self.store.find(mock_id)
        if mock is None or mock.protocol != protocol:
            raise UnknownMock(protocol, mock_id)
        return mock

    async def get_any(self, mock_id: str) -> Mock:
        """The live mock with that id, of either protocol, or :class:`UnknownMock`."""
        mock = await self.store.find(mock_id)
        if mock is None:
            raise UnknownMock("http or smtp", mock_id)
        return mock

    async def list_mocks(self, protocol: MockProtocol) -> list[Mock]:
        """The live mocks of one protocol, oldest first."""
        return await self.store.list_mocks(protocol)

    async def delete(self, protocol: MockProtocol, mock_id: str) -> None:
        """Delete a mock with its presets and history (:class:`UnknownMock` if not live)."""
        mock = await self.get(protocol, mock_id)
        if not await self.store.delete(mock):
            raise UnknownMock(protocol, mock_id)

    async def prune(self) -> list[Mock]:
        """Delete every mock idle past its timeout; returns them."""
        return await self.store.prune()

    async def delete_all(self) -> None:
        """The server is stopping: delete the mocks that live only while it runs."""
        await self.store.delete_all()

    async def keep_alive(self, mock: Mock, now: float) -> None:
        """Note a use of ``mock`` at ``now``: its idle time restarts."""
        await self.store.touch(mock, now)

    def on_removed(self, callback: RemovedObserver) -> None:
        """Call ``callback(mock)`` whenever a mock is deleted or expires."""
        self.store.on_removed(callback)

    def observe(self, observer: RecordObserver) -> Callable[[], None]:
        """Call ``observer(mock, seq, record)`` for every new record; returns the unsubscriber."""
        return self.store.observe(observer)

    # Presets

    async def add_http_preset(self, mock: Mock, payload: wire.PresetIn) -> Preset:
        """Compile and add a canned reply from the admin API's fields (a bad regex or
        count, a body too large: refused here, naming the field)."""
        rule, reply, extra = self._compile_http(payload)
        return await self.add_preset(mock, rule, reply, payload.times, payload.priority, extra)

    def _compile_http(self, payload: wire.PresetIn) -> tuple[MatchRule, Reply, PresetExtra | None]:
        """A preset's rule, reply and extras, checked (InvalidInput names the field): every
        check of an HTTP preset's payload, for ``POST /preset``, ``POST /http``'s presets
        and ``--load`` alike (the store's limits aside)."""
        extra_spec = wire.extra_spec_of(payload)
        reply = wire.preset_reply_of(payload, self.reply_options)
        check_reply_body(reply.body, self.max_body_size)  # before compiling the regexes
        for number, spec in enumerate(extra_spec.replies if extra_spec is not None else ()):
            try:
                check_reply_body(spec.body, self.max_body_size)
            except TooLarge as error:
                raise TooLarge(
                    f"replies[{number}].{error.message}", field=f"replies[{number}].body"
                ) from None
        rule = wire.match_rule_of(payload.rule, timeout=self.regex_timeout)
        if extra_spec is None:
            return rule, reply, None
        extra = PresetExtra(extra_spec, rule, self.regex_timeout)
        return rule, extra.first_reply(reply), extra

    async def add_preset(
        self,
        mock: Mock,
        rule: MatchRule,
        reply: Reply,
        times: object,
        priority: int | None = None,
        extra: PresetExtra | None = None,
    ) -> Preset:
        """Add a canned reply already built (past --max-presets or --preset-bytes: refused)."""
        check_reply_body(reply.body, self.max_body_size)
        return await self.store.add_preset(mock, rule, reply, times, priority, extra)

    async def add_smtp_reply(self, mock: Mock, payload: wire.SmtpPresetIn) -> SmtpPreset:
        """Add a scripted SMTP reply."""
        return await self.store.add_smtp_reply(
            mock, payload.stage, payload.match, wire.smtp_reply_of(payload), payload.times
        )

    async def add_any_preset(
        self, mock: Mock, payload: wire.PresetIn | wire.SmtpPresetIn
    ) -> Preset | SmtpPreset:
        """Add an HTTP preset or an SMTP scripted reply, as the payload says."""
        if isinstance(payload, wire.SmtpPresetIn):
            return await self.add_smtp_reply(mock, payload)
        return await self.add_http_preset(mock, payload)

    def check_preset(
        self, protocol: MockProtocol, payload: wire.PresetIn | wire.SmtpPresetIn
    ) -> None:
        """Refuse a preset as adding it would, without adding it anywhere (for ``--load``;
        the store's limits are checked when it is added)."""
        if isinstance(payload, wire.SmtpPresetIn):
            reply = wire.smtp_reply_of(payload)
            SmtpPreset(0, payload.stage, payload.match, reply, payload.times, self.regex_timeout)
            return
        rule, http_reply, extra = self._compile_http(payload)
        Preset(0, rule, http_reply, payload.times, priority=payload.priority, extra=extra)

    async def remove_preset(self, mock: Mock, preset_id: int) -> bool:
        """Remove one HTTP preset; False when it is not there (never added, or used up)."""
        return await self.store.remove_preset(mock, preset_id)

    async def presets_of(self, mock: Mock) -> list[Preset]:
        """An HTTP mock's presets, in the order they are tried."""
        return await self.store.presets(mock)

    async def scripted_replies(self, mock: Mock) -> list[SmtpPreset]:
        """An SMTP mock's scripted replies, in the order they are tried."""
        return await self.store.smtp_replies(mock)

    async def preset(self, mock: Mock, preset_id: int) -> Preset | None:
        """One HTTP preset, or None (never added, used up, or removed)."""
        for preset in await self.store.presets(mock):
            if preset.id == preset_id:
                return preset
        return None

    async def preset_count(self, mock: Mock) -> int:
        """How many presets (HTTP) or scripted replies (SMTP) a mock holds."""
        if mock.protocol == "smtp":
            return len(await self.store.smtp_replies(mock))
        return len(await self.store.presets(mock))

    async def list_presets(
        self, mock: Mock, page: Page, only_unused: bool = False
    ) -> tuple[list[Preset] | list[SmtpPreset], bool]:
        """A page of the mock's presets (or scripted replies), and whether more follow.

        ``only_unused``: only those still owed requests (uses left to count down, or
        FOREVER and never served; SMTP: uses left to count down).
        """
        if mock.protocol == "smtp":
            script = await self.store.smtp_replies(mock)
            return await select(script, page, _counting_down if only_unused else None)
        presets = await self.store.presets(mock)
        return await select(presets, page, _unused if only_unused else None)

    async def clear_presets(self, mock: Mock) -> None:
        """Remove every preset and scripted reply of the mock."""
        await self.store.clear_presets(mock)

    async def reset(self, mock: Mock) -> None:
        """Remove the mock's presets and forget what it received."""
        await self.store.clear_presets(mock)
        await self.store.clear_history(mock)

    # State machines

    async def states(self, mock: Mock) -> list[StateEntry]:
        """The mock's state machine instances not in ``start`` (machine, key, state)."""
        return await self.store.states(mock)

    async def set_state(self, mock: Mock, payload: wire.StateIn) -> StateEntry:
        """Put one instance in a state (checked, naming the field)."""
        machine = check_name(payload.machine, "machine")
        key = None if payload.key is None else check_key(payload.key)
        state = check_name(payload.state, "state")
        await self.store.set_state(mock, machine, key, state)
        return machine, key, state

    async def reset_states(
        self, mock: Mock, machine: str | None = None, key: str | None = None
    ) -> int:
        """Move instances back to ``start``: all, one machine's, or one (machine and key)."""
        if key is not None and machine is None:
            raise InvalidInput("key needs the machine it is a key of (machine)", field="key")
        if machine is not None:
            check_name(machine, "machine")
        if key is not None:
            check_key(key)
        return await self.store.reset_states(mock, machine, key)

    # Serving

    async def claim_smtp_reply(
        self, mock: Mock, stage: str, argument: str
    ) -> tuple[SmtpReply | None, list[SmtpPreset]]:
        """The scripted reply for this stage (one use counted; None for the normal reply),
        and the scripted replies whose regex gave up for the first time (to log once)."""
        return await self.store.claim_smtp_reply(mock, stage, argument)

    async def add_to_history(self, mock: Mock, record: Record) -> None:
        """Record a complete request or mail (served or not); waits and live pages hear of it."""
        await self.store.record(mock, record)

    async def amend_record(
        self, mock: Mock, record: RequestRecord, changes: dict[str, object]
    ) -> None:
        """Change fields of a request recorded moments ago (a proxied request's upstream
        status, once the upstream answered)."""
        await self.store.amend_record(mock, record, changes)

    # History

    async def history_stats(self, mock: Mock) -> HistoryStats:
        """How many records the mock received since its last reset, kept and dropped."""
        return await self.store.history_stats(mock)

    async def record_at(self, mock: Mock, position: int) -> Record | None:
        """The kept record at ``position`` (0 is the oldest kept, -1 the latest), or None."""
        return await self.store.record_at(mock, position)

    async def records(self, mock: Mock) -> list[Record]:
        """The kept records now, oldest first (a snapshot: later records do not show)."""
        records, _ = await self.store.records(mock)
        return records

    async def store_records(
        self, mock: Mock, start: int = 0, stop: int | None = None
    ) -> tuple[list[Record], int]:
        """The kept records from position ``start`` to before ``stop``, and the sequence
        number of the next record."""
        return await self.store.records(mock, start, stop)

    async def list_history(
        self, mock: Mock, page: Page, wanted: Predicate | None = None
    ) -> tuple[list[Record], bool]:
        """A page of the kept records (those ``wanted``), and whether more follow."""
        if wanted is None:
            end = page.end
            stop = None if end is None or end >= MAX_INDEX else end + 1  # one more: more?
            records, _ = await self.store.records(mock, page.offset, stop)
            more = page.end is not None and len(records) > page.end - page.offset
            return records[: len(records) - 1] if more else records, more
        records, _ = await self.store.records(mock)
        # Filtered a slice at a time: on a snapshot, which appends and drops leave be.
        return await select(records, page, wanted)

    async def count(self, mock: Mock, wanted: Predicate) -> tuple[int, int]:
        """How many kept records are ``wanted``, and how many older ones were dropped."""
        stats = await self.store.history_stats(mock)
        records, _ = await self.store.records(mock)
        return len(await scan(records, wanted)), stats.dropped

    async def wait(self, mock: Mock, wanted: Predicate, count: int, timeout: float) -> WaitResult:
        """Wait until ``count`` records are ``wanted``, counting those already there, or
        ``timeout`` seconds; :class:`UnknownMock` if the mock goes meanwhile."""
        check_wait(count, timeout)
        clock = self.store.clock
        await self.keep_alive(mock, clock())
        result = await self.waiters.wait(mock, wanted, count, timeout)
        if result.outcome is Outcome.GONE:
            raise UnknownMock(mock.protocol, mock.id)
        await self.keep_alive(mock, clock())
        return result

    async def clear_history(self, mock: Mock) -> None:
        """Forget what the mock received, and the count of dropped records."""
        await self.store.clear_history(mock)


_Prepared = tuple[MatchRule, Reply, PresetExtra | None, wire.PresetIn]


def _at(index: int, error: CoreError) -> CoreError:
    """``error``, its message and field put at ``presets[index]`` of a create call."""
    where = f"presets[{index}]"
    error.field = f"{where}.{error.field}" if error.field else where
    error.message = f"{where}: {error.message}"
    error.args = (error.message,)
    return error


def _unused(preset: Preset) -> bool:
    return preset.unused


def _counting_down(preset: SmtpPreset) -> bool:
    return preset.times_left != FOREVER
