"""The facade in-process: each operation once, over the in-memory store."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import msgspec
import pytest

from pretenders.common.constants import FOREVER
from pretenders.server import wire
from pretenders.server.core.errors import (
    InvalidInput,
    NameConflict,
    TooLarge,
    TooManyPresets,
    UnknownMock,
)
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.paging import Page
from pretenders.server.core.presets import PresetLimits, Reply
from pretenders.server.core.records import MailRecord, RequestRecord
from pretenders.server.core.registry import Mock, Registry
from pretenders.server.mocks import MockService
from pretenders.server.store.memory import MemoryStore

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Adapter:
    """Records what it opened; fails on demand, as an SMTP port that cannot be had."""

    def __init__(self, fail: bool = False) -> None:
        self.opened: list[str] = []
        self.fail = fail

    async def open(self, mock: Mock, options: wire.CreateMock) -> dict[str, object]:
        if self.fail:
            raise InvalidInput("no port")
        self.opened.append(mock.id)
        return {}

    def describe(self, mock: Mock) -> msgspec.Struct:
        return wire.CreatedHttpMock(id=mock.id, path="/x")


def service(clock: Clock | None = None, **registry: Any) -> MockService:
    store = MemoryStore(Registry(clock=clock or Clock(), **registry), regex_timeout=1.0)
    mocks = MockService(store, max_body_size=100)
    mocks.adapters.update(http=Adapter(), smtp=Adapter())
    return mocks


async def http_mock(mocks: MockService, name: str = "m") -> Mock:
    return await mocks.open_mock("http", wire.CreateMock(name=name))


def request(line: str, body: bytes = b"") -> RequestRecord:
    method, url = line.split(" ", 1)
    return RequestRecord(method=method, url=url, headers=(), body=body, time=0.0)


def preset(rule: str, times: int | str = 1, body: bytes = b"ok") -> wire.PresetIn:
    return wire.PresetIn(rule=rule, body=base64.b64encode(body).decode(), times=times)


async def test_open_creates_once_then_joins_and_opens_the_adapter_once() -> None:
    mocks = service()
    first = await http_mock(mocks)
    again = await http_mock(mocks)
    assert again is first
    assert mocks.adapters["http"].opened == ["m"]  # type: ignore[attr-defined]
    assert [m.id for m in await mocks.list_mocks("http")] == ["m"]
    assert mocks.describe(first) == wire.CreatedHttpMock(id="m", path="/x")
    with pytest.raises(NameConflict):
        await mocks.open_mock("smtp", wire.CreateMock(name="m"))


async def test_a_mock_whose_adapter_fails_to_open_is_not_kept() -> None:
    mocks = service()
    mocks.adapters["smtp"] = Adapter(fail=True)
    with pytest.raises(InvalidInput, match="no port"):
        await mocks.open_mock("smtp", wire.CreateMock(name="mail"))
    assert await mocks.find("mail") is None


async def test_get_find_delete_and_prune() -> None:
    clock = Clock()
    mocks = service(clock)
    removed: list[str] = []
    mocks.on_removed(lambda mock: removed.append(mock.id))
    mock = await http_mock(mocks)
    assert await mocks.get("http", "m") is mock
    assert await mocks.get_any("m") is mock
    with pytest.raises(UnknownMock):
        await mocks.get("smtp", "m")
    with pytest.raises(UnknownMock):
        await mocks.get_any("nope")
    await mocks.open_mock("http", wire.CreateMock(name="idle", pretender_timeout=1))
    clock.now += 5
    await mocks.keep_alive(mock, clock.now)
    assert [m.id for m in await mocks.prune()] == ["idle"]
    await mocks.delete("http", "m")
    assert await mocks.find("m") is None
    with pytest.raises(UnknownMock):
        await mocks.delete("http", "m")
    assert removed == ["idle", "m"]


async def test_keep_alive_restarts_the_idle_time() -> None:
    clock = Clock()
    mocks = service(clock)
    mock = await http_mock(mocks)
    clock.now += 10
    await mocks.keep_alive(mock, clock.now)
    assert mock.last_call == clock.now
    assert await mocks.arrived("http", "m", 1020.0) is mock
    assert mock.last_call == 1020.0
    assert await mocks.arrived("smtp", "m", 1030.0) is None
    assert await mocks.arrived("http", "nope", 1030.0) is None
    assert mock.last_call == 1020.0
    await mocks.keep_alive(mock, 5.0)
    assert mock.last_call == 5.0


async def test_a_preset_is_claimed_as_many_times_as_it_says_and_adding_keeps_alive() -> None:
    clock = Clock()
    mocks = service(clock)
    mock = await http_mock(mocks)
    clock.now += 3
    added = await mocks.add_http_preset(mock, preset("GET /a", times=2))
    assert mock.last_call == clock.now
    served = await mocks.serve(mock, MatchSubject(request("GET /a")), request("GET /a"))
    assert served.preset is added
    assert await mocks.preset(mock, added.id) is added
    served = await mocks.serve(mock, MatchSubject(request("GET /a")), request("GET /a"))
    assert served.preset is added
    missed = await mocks.serve(mock, MatchSubject(request("GET /a")), request("GET /a"))
    assert missed.preset is None
    assert await mocks.preset(mock, added.id) is None
    assert await mocks.preset_count(mock) == 0
    assert [(r.status, r.preset_id) for r in await mocks.records(mock)] == [  # type: ignore[union-attr]
        (200, added.id),
        (200, added.id),
        (404, None),
    ]


async def test_a_built_preset_and_a_payload_are_refused_alike() -> None:
    mocks = service()
    mock = await http_mock(mocks)
    with pytest.raises(TooLarge):
        await mocks.add_http_preset(mock, preset("GET /", body=b"x" * 101))
    with pytest.raises(TooLarge):
        await mocks.add_preset(mock, MatchRule("GET /"), Reply(body=b"x" * 101), 1)
    with pytest.raises(InvalidInput, match="times"):
        await mocks.add_preset(mock, MatchRule("GET /"), Reply(), 0)
    assert await mocks.presets_of(mock) == []


async def test_presets_count_against_the_limits_of_the_store() -> None:
    mocks = service(preset_limits=PresetLimits(max_presets=1))
    mock = await http_mock(mocks)
    await mocks.add_preset(mock, MatchRule("GET /"), Reply(), 1)
    with pytest.raises(TooManyPresets):
        await mocks.add_http_preset(mock, preset("GET /b"))


async def test_check_preset_refuses_without_adding() -> None:
    mocks = service()
    mocks.check_preset("http", preset("GET /ok"))
    with pytest.raises(InvalidInput):
        mocks.check_preset("http", preset("GET /(unclosed"))
    with pytest.raises(InvalidInput, match="stage"):
        mocks.check_preset("smtp", wire.SmtpPresetIn(stage="nope", status=550))
    assert await mocks.list_mocks("http") == []


async def test_listing_presets_pages_and_filters_the_unused() -> None:
    mocks = service()
    mock = await http_mock(mocks)
    served = await mocks.add_http_preset(mock, preset("GET /a", times=FOREVER))
    waiting = [await mocks.add_http_preset(mock, preset(f"GET /{n}")) for n in range(3)]
    await mocks.serve(mock, MatchSubject(request("GET /a")), request("GET /a"))
    everything, more = await mocks.list_presets(mock, Page())
    assert everything == [served, *waiting]
    assert not more
    unused, more = await mocks.list_presets(mock, Page(offset=1, limit=1), only_unused=True)
    assert unused == [waiting[1]]
    assert more


async def test_scripted_smtp_replies_are_claimed_and_regexes_that_gave_up_reported_once() -> None:
    mocks = service()
    mock = await mocks.open_mock("smtp", wire.CreateMock(name="mail"))
    scripted = await mocks.add_smtp_reply(
        mock, wire.SmtpPresetIn(stage="rcpt", match="bob@", status=550, message="No")
    )
    assert await mocks.scripted_replies(mock) == [scripted]
    assert await mocks.preset_count(mock) == 1
    reply, gave_up = await mocks.claim_smtp_reply(mock, "rcpt", "alice@example.com")
    assert (reply, gave_up) == (None, [])
    reply, gave_up = await mocks.claim_smtp_reply(mock, "rcpt", "bob@example.com")
    assert reply is not None
    assert reply.line == "550 No"
    assert await mocks.scripted_replies(mock) == []


async def test_clear_presets_and_reset() -> None:
    mocks = service()
    mock = await http_mock(mocks)
    await mocks.add_http_preset(mock, preset("GET /"))
    await mocks.add_to_history(mock, request("GET /"))
    await mocks.clear_presets(mock)
    assert await mocks.preset_count(mock) == 0
    assert (await mocks.history_stats(mock)).kept == 1
    await mocks.add_http_preset(mock, preset("GET /"))
    await mocks.reset(mock)
    assert await mocks.preset_count(mock) == 0
    assert (await mocks.history_stats(mock)).total == 0


async def test_history_is_recorded_read_and_counted() -> None:
    mocks = service(history_limit=3)
    mock = await http_mock(mocks)
    heard: list[tuple[int, RequestRecord | MailRecord]] = []
    unsubscribe = mocks.observe(lambda _, seq, record: heard.append((seq, record)))
    records = [request(f"GET /{n}") for n in range(5)]
    for record in records:
        await mocks.add_to_history(mock, record)
    unsubscribe()
    await mocks.add_to_history(mock, request("GET /unheard"))
    await mocks.clear_history(mock)
    for record in records:
        await mocks.add_to_history(mock, record)
    assert heard == list(enumerate(records))
    stats = await mocks.history_stats(mock)
    assert (stats.total, stats.kept, stats.dropped, stats.limit) == (5, 3, 2, 3)
    assert await mocks.record_at(mock, 0) is records[2]
    assert await mocks.record_at(mock, -1) is records[4]
    assert await mocks.record_at(mock, 3) is None
    assert await mocks.records(mock) == records[2:]
    assert await mocks.store_records(mock, 1, 2) == ([records[3]], 11)
    page, more = await mocks.list_history(mock, Page(limit=2))
    assert (page, more) == (records[2:4], True)
    page, more = await mocks.list_history(mock, Page(offset=1, limit=2))
    assert (page, more) == (records[3:5], False)
    wanted = lambda record: record.url != "/3"  # noqa: E731
    page, more = await mocks.list_history(mock, Page(offset=1), wanted)
    assert (page, more) == ([records[4]], False)
    assert await mocks.count(mock, wanted) == (2, 2)
    await mocks.clear_history(mock)
    assert (await mocks.history_stats(mock)).total == 0


async def test_wait_counts_records_already_there_and_ends_when_the_mock_goes() -> None:
    mocks = service()
    mock = await mocks.open_mock("http", wire.CreateMock(name="w"))
    await mocks.add_to_history(mock, request("GET /early"))
    waiting = asyncio.ensure_future(mocks.wait(mock, lambda r: True, 2, 5))
    await asyncio.sleep(0)
    await mocks.add_to_history(mock, request("GET /late"))
    result = await asyncio.wait_for(waiting, 5)
    assert result.met
    assert len(result.records) == 2

    gone = asyncio.ensure_future(mocks.wait(mock, lambda r: True, 5, 5))
    await asyncio.sleep(0)
    await mocks.delete("http", "w")
    with pytest.raises(UnknownMock):
        await asyncio.wait_for(gone, 5)
    with pytest.raises(InvalidInput, match="count"):
        await mocks.wait(mock, lambda r: True, 0, 1)


async def test_from_settings_carries_the_limits() -> None:
    from pretenders.server.settings import Settings

    mocks = MockService.from_settings(
        Settings(history_limit=7, regex_timeout=0.2, max_body_size=10, max_mocks=3)
    )
    assert mocks.regex_timeout == 0.2
    assert mocks.max_body_size == 10
    assert isinstance(mocks.store, MemoryStore)
    assert mocks.store.regex_timeout == 0.2
    assert mocks.store.registry.history_limit == 7
    assert mocks.store.registry.max_mocks == 3
