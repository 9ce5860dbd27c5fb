"""The in-memory store: one process, nothing to install; the default.

A thin adapter from the store protocol to the :class:`Registry` and the mocks it keeps
(:class:`LiveMock`: a preset queue with compiled rules, a history, an SMTP script). No
call suspends: each one is atomic because the event loop runs one at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from pretenders.server.core import state_machines
from pretenders.server.core.errors import UnknownMock
from pretenders.server.core.history import HistoryStats
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.near_miss import compare_presets
from pretenders.server.core.preset_extra import PresetExtra
from pretenders.server.core.presets import Preset, Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import LiveMock, Mock, Protocol, Record, Registry, Timeout
from pretenders.server.core.smtp_script import SmtpPreset, SmtpReply
from pretenders.server.core.state_machines import (
    START,
    reset_scope,
    split_field,
    state_entries,
    state_field,
    too_many_states,
)
from pretenders.server.core.store import (
    RecordObserver,
    RemovedObserver,
    Served,
    StateEntry,
    Store,
)

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """Every mock in this process's memory, in a :class:`Registry`."""

    name = "memory"
    shared = False

    def __init__(self, registry: Registry, regex_timeout: float) -> None:
        self.registry = registry
        self.regex_timeout = regex_timeout
        self.clock = registry.clock

    def _live(self, mock: Mock) -> LiveMock:
        """The live mock behind a handle (the handles this store gives out are its mocks)."""
        if isinstance(mock, LiveMock):
            return mock
        return self.registry.get(mock.protocol, mock.id)

    # Mocks

    async def create_or_join(
        self, protocol: Protocol, name: str | None, timeout: Timeout | str
    ) -> tuple[Mock, bool]:
        return self.registry.create_or_join(protocol, name, timeout)  # type: ignore[arg-type]

    async def set_details(self, mock: Mock, details: dict[str, object]) -> None:
        mock.details.update(details)

    async def find(self, mock_id: str) -> Mock | None:
        return self.registry.find(mock_id)

    async def arrived(self, protocol: Protocol, mock_id: str, now: float) -> Mock | None:
        mock = self.registry.find(mock_id)
        if mock is None or mock.protocol != protocol:
            return None
        mock.last_call = now
        return mock

    async def touch(self, mock: Mock, now: float) -> None:
        mock.last_call = now

    async def list_mocks(self, protocol: Protocol) -> list[Mock]:
        return list(self.registry.all(protocol))

    async def delete(self, mock: Mock) -> bool:
        try:
            self.registry.delete(mock.protocol, mock.id)
        except UnknownMock:
            return False
        return True

    async def prune(self) -> list[Mock]:
        return list(self.registry.prune())

    async def delete_all(self) -> None:
        self.registry.clear()

    # Presets

    async def add_preset(
        self,
        mock: Mock,
        rule: MatchRule,
        reply: Reply,
        times: object,
        priority: int | None = None,
        extra: PresetExtra | None = None,
    ) -> Preset:
        live = self._live(mock)
        preset = live.presets.add(rule, reply, times, priority, extra)
        live.last_call = self.registry.clock()
        return preset

    async def remove_preset(self, mock: Mock, preset_id: int) -> bool:
        return self._live(mock).presets.remove(preset_id)

    async def presets(self, mock: Mock) -> list[Preset]:
        return list(self._live(mock).presets)

    async def clear_presets(self, mock: Mock) -> None:
        live = self._live(mock)
        live.presets.clear()
        live.script.clear()

    async def serve(self, mock: Mock, subject: MatchSubject, record: RequestRecord) -> Served:
        # Deleted (or expired) since the request arrived, e.g. while its body was read:
        # neither served by the presets it had nor recorded in a history no one sees.
        live = self._live(mock)
        if live.removed:
            return Served(gone=True)
        presets = live.presets
        preset = presets.take(subject, live.states)
        if preset is not None:
            reply = preset.reply
            extra = preset.extra
            if extra is not None and extra.choice is not None:
                choice = extra.choice
                reply = choice.replies[choice.index(preset.served)]
            maker = reply.maker
            made = None if maker is None else maker.answer(subject, preset.rule)
            record.status = reply.status if made is None else made.status
            record.preset_id = preset.id
            if reply.shaped:
                reply.stamp(record)
            live.record(record)
            if subject.gave_up is None:
                return Served(preset, reply=reply, made=made)
            return Served(preset, gave_up=presets.newly_gave_up(subject), reply=reply, made=made)
        comparison = compare_presets(presets, subject, states=live.states)
        record.status = 404
        record.near_misses = comparison.misses
        live.record(record)
        gave_up = presets.newly_gave_up(subject) if subject.gave_up is not None else []
        return Served(None, comparison, len(presets), gave_up=gave_up)

    # State machines

    async def states(self, mock: Mock) -> list[StateEntry]:
        return state_entries(self._live(mock).states)

    async def set_state(self, mock: Mock, machine: str, key: str | None, state: str) -> None:
        states = self._live(mock).states
        field = state_field(machine, key)
        if state == START:
            states.pop(field, None)
            return
        if field not in states and len(states) >= state_machines.MAX_STATE_KEYS:
            raise too_many_states(len(states))
        states[field] = state

    async def reset_states(
        self, mock: Mock, machine: str | None = None, key: str | None = None
    ) -> int:
        states = self._live(mock).states
        scope, name = reset_scope(machine, key)
        if scope == "all":
            count = len(states)
            states.clear()
            return count
        if scope == "one":
            return 1 if states.pop(name, None) is not None else 0
        chosen = [f for f in states if split_field(f)[0] == name]
        for field in chosen:
            del states[field]
        return len(chosen)

    async def add_smtp_reply(
        self, mock: Mock, stage: str, pattern: str | None, reply: SmtpReply, times: object
    ) -> SmtpPreset:
        live = self._live(mock)
        preset = live.script.add(stage, pattern, reply, times, timeout=self.regex_timeout)
        live.last_call = self.registry.clock()
        return preset

    async def smtp_replies(self, mock: Mock) -> list[SmtpPreset]:
        return list(self._live(mock).script)

    async def claim_smtp_reply(
        self, mock: Mock, stage: str, argument: str
    ) -> tuple[SmtpReply | None, list[SmtpPreset]]:
        script = self._live(mock).script
        reply = script.take(stage, argument)
        gave_up: list[SmtpPreset] = []
        if script.gave_up:
            gave_up, script.gave_up = script.gave_up, []
        return reply, gave_up

    # History

    async def record(self, mock: Mock, record: Record) -> None:
        self._live(mock).record(record)

    async def amend_record(
        self, mock: Mock, record: RequestRecord, changes: dict[str, object]
    ) -> None:
        for name, value in changes.items():  # the history holds this very record
            setattr(record, name, value)

    async def history_stats(self, mock: Mock) -> HistoryStats:
        return self._live(mock).history.stats()

    async def record_at(self, mock: Mock, position: int) -> Record | None:
        history = self._live(mock).history
        if position < 0:
            position += len(history)
        return history.get(position)

    async def records(
        self, mock: Mock, start: int = 0, stop: int | None = None
    ) -> tuple[list[Record], int]:
        history = self._live(mock).history
        if start == 0 and stop is None:
            return history.snapshot(), history.next_seq
        return list(itertools.islice(history, start, stop)), history.next_seq

    async def clear_history(self, mock: Mock) -> None:
        self._live(mock).history.clear()

    # Events

    def follow(self, mock: Mock, observer: RecordObserver, since: int) -> Callable[[], None]:
        # Records are told of as they are added, and numbers only grow: ``since`` is the
        # next number now, as long as no await came between reading it and this call.
        followers = self._live(mock).followers
        followers.append(observer)
        return lambda: followers.remove(observer)

    def observe(self, observer: RecordObserver) -> Callable[[], None]:
        return self.registry.observe(observer)

    def on_removed(self, callback: RemovedObserver) -> None:
        self.registry.on_removed(callback)
