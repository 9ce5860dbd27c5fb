"""The facade in-process: each operation once, over the in-memory store."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Coroutine
from typing import Any, TypeVar

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

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


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

    async def open(self, mock: Mock, options: wire.CreateMock) -> None:
        if self.fail:
            raise InvalidInput("no port")
        self.opened.append(mock.id)

    def describe(self, mock: Mock) -> msgspec.Struct:
        return wire.CreatedHttpMock(id=mock.id, path="/x")


def service(clock: Clock | None = None, **registry: Any) -> MockService:
    mocks = MockService(Registry(clock=clock or Clock(), **registry), max_body_size=100)
    mocks.adapters.update(http=Adapter(), smtp=Adapter())
    return mocks


def http_mock(mocks: MockService, name: str = "m") -> Mock:
    return run(mocks.open_mock("http", wire.CreateMock(name=name)))


def request(line: str, body: bytes = b"") -> RequestRecord:
    method, url = line.split(" ", 1)
    return RequestRecord(method=method, url=url, headers=(), body=body, time=0.0)


def preset(rule: str, times: int | str = 1, body: bytes = b"ok") -> wire.PresetIn:
    return wire.PresetIn(rule=rule, body=base64.b64encode(body).decode(), times=times)


def test_open_creates_once_then_joins_and_opens_the_adapter_once() -> None:
    mocks = service()
    first = http_mock(mocks)
    again = http_mock(mocks)
    assert again is first
    assert mocks.adapters["http"].opened == ["m"]  # type: ignore[attr-defined]
    assert [m.id for m in mocks.list_mocks("http")] == ["m"]
    assert mocks.describe(first) == wire.CreatedHttpMock(id="m", path="/x")
    with pytest.raises(NameConflict):
        run(mocks.open_mock("smtp", wire.CreateMock(name="m")))


def test_a_mock_whose_adapter_fails_to_open_is_not_kept() -> None:
    mocks = service()
    mocks.adapters["smtp"] = Adapter(fail=True)
    with pytest.raises(InvalidInput, match="no port"):
        run(mocks.open_mock("smtp", wire.CreateMock(name="mail")))
    assert mocks.find("mail") is None


def test_get_find_delete_and_prune() -> None:
    clock = Clock()
    mocks = service(clock)
    removed: list[str] = []
    mocks.on_removed(lambda mock: removed.append(mock.id))
    mock = http_mock(mocks)
    assert mocks.get("http", "m") is mock
    assert mocks.get_any("m") is mock
    with pytest.raises(UnknownMock):
        mocks.get("smtp", "m")
    with pytest.raises(UnknownMock):
        mocks.get_any("nope")
    run(mocks.open_mock("http", wire.CreateMock(name="idle", pretender_timeout=1)))
    clock.now += 5
    mocks.keep_alive(mock)
    assert [m.id for m in mocks.prune()] == ["idle"]
    mocks.delete("http", "m")
    assert mocks.find("m") is None
    assert removed == ["idle", "m"]


def test_keep_alive_restarts_the_idle_time() -> None:
    clock = Clock()
    mocks = service(clock)
    mock = http_mock(mocks)
    clock.now += 10
    mocks.keep_alive(mock)
    assert mock.last_call == clock.now
    mocks.keep_alive(mock, 5.0)
    assert mock.last_call == 5.0


def test_a_preset_is_claimed_as_many_times_as_it_says_and_adding_keeps_alive() -> None:
    clock = Clock()
    mocks = service(clock)
    mock = http_mock(mocks)
    clock.now += 3
    added = mocks.add_http_preset(mock, preset("GET /a", times=2))
    assert mock.last_call == clock.now
    subject = MatchSubject(request("GET /a"))
    assert mocks.claim_preset(mock, subject) is added
    assert mocks.preset(mock, added.id) is added
    assert mocks.claim_preset(mock, MatchSubject(request("GET /a"))) is added
    assert mocks.claim_preset(mock, MatchSubject(request("GET /a"))) is None
    assert mocks.preset(mock, added.id) is None
    assert mocks.preset_count(mock) == 0


def test_a_built_preset_and_a_payload_are_refused_alike() -> None:
    mocks = service()
    mock = http_mock(mocks)
    with pytest.raises(TooLarge):
        mocks.add_http_preset(mock, preset("GET /", body=b"x" * 101))
    with pytest.raises(TooLarge):
        mocks.add_preset(mock, MatchRule("GET /"), Reply(body=b"x" * 101), 1)
    with pytest.raises(InvalidInput, match="times"):
        mocks.add_preset(mock, MatchRule("GET /"), Reply(), 0)
    assert mocks.presets_of(mock) == []


def test_presets_count_against_the_limits_of_the_store() -> None:
    mocks = service(preset_limits=PresetLimits(max_presets=1))
    mock = http_mock(mocks)
    mocks.add_preset(mock, MatchRule("GET /"), Reply(), 1)
    with pytest.raises(TooManyPresets):
        mocks.add_http_preset(mock, preset("GET /b"))


def test_check_preset_refuses_without_adding() -> None:
    mocks = service()
    mocks.check_preset("http", preset("GET /ok"))
    with pytest.raises(InvalidInput):
        mocks.check_preset("http", preset("GET /(unclosed"))
    with pytest.raises(InvalidInput, match="stage"):
        mocks.check_preset("smtp", wire.SmtpPresetIn(stage="nope", status=550))
    assert mocks.list_mocks("http") == []


def test_listing_presets_pages_and_filters_the_unused() -> None:
    mocks = service()
    mock = http_mock(mocks)
    served = mocks.add_http_preset(mock, preset("GET /a", times=FOREVER))
    waiting = [mocks.add_http_preset(mock, preset(f"GET /{n}")) for n in range(3)]
    mocks.claim_preset(mock, MatchSubject(request("GET /a")))
    everything, more = run(mocks.list_presets(mock, Page()))
    assert everything == [served, *waiting]
    assert not more
    unused, more = run(mocks.list_presets(mock, Page(offset=1, limit=1), only_unused=True))
    assert unused == [waiting[1]]
    assert more


def test_scripted_smtp_replies_are_claimed_and_regexes_that_gave_up_reported_once() -> None:
    mocks = service()
    mock = run(mocks.open_mock("smtp", wire.CreateMock(name="mail")))
    scripted = mocks.add_smtp_reply(
        mock, wire.SmtpPresetIn(stage="rcpt", match="bob@", status=550, message="No")
    )
    assert mocks.scripted_replies(mock) == [scripted]
    assert mocks.preset_count(mock) == 1
    reply, gave_up = mocks.claim_smtp_reply(mock, "rcpt", "alice@example.com")
    assert (reply, gave_up) == (None, [])
    reply, gave_up = mocks.claim_smtp_reply(mock, "rcpt", "bob@example.com")
    assert reply is not None
    assert reply.line == "550 No"
    assert mocks.scripted_replies(mock) == []


def test_clear_presets_and_reset() -> None:
    mocks = service()
    mock = http_mock(mocks)
    mocks.add_http_preset(mock, preset("GET /"))
    mocks.add_to_history(mock, request("GET /"))
    mocks.clear_presets(mock)
    assert mocks.preset_count(mock) == 0
    assert mocks.history_stats(mock).kept == 1
    mocks.add_http_preset(mock, preset("GET /"))
    mocks.reset(mock)
    assert mocks.preset_count(mock) == 0
    assert mocks.history_stats(mock).total == 0


def test_history_is_recorded_read_and_counted() -> None:
    mocks = service(history_limit=3)
    mock = http_mock(mocks)
    heard: list[RequestRecord | MailRecord] = []
    unsubscribe = mocks.observe(lambda _, record: heard.append(record))
    records = [request(f"GET /{n}") for n in range(5)]
    for record in records:
        mocks.add_to_history(mock, record)
    unsubscribe()
    assert heard == records
    stats = mocks.history_stats(mock)
    assert (stats.total, stats.kept, stats.dropped, stats.limit) == (5, 3, 2, 3)
    assert mocks.record_at(mock, 0) is records[2]
    assert mocks.record_at(mock, -1) is records[4]
    assert mocks.record_at(mock, 3) is None
    assert mocks.records(mock) == records[2:]
    page, more = run(mocks.list_history(mock, Page(limit=2)))
    assert (page, more) == (records[2:4], True)
    wanted = lambda record: record.url != "/3"  # noqa: E731
    page, more = run(mocks.list_history(mock, Page(offset=1), wanted))
    assert (page, more) == ([records[4]], False)
    assert run(mocks.count(mock, wanted)) == (2, 2)
    mocks.clear_history(mock)
    assert mocks.history_stats(mock).total == 0


def test_wait_counts_records_already_there_and_ends_when_the_mock_goes() -> None:
    async def scenario() -> None:
        mocks = service()
        mock = await mocks.open_mock("http", wire.CreateMock(name="w"))
        mocks.add_to_history(mock, request("GET /early"))
        waiting = asyncio.ensure_future(mocks.wait(mock, lambda r: True, 2, 5))
        await asyncio.sleep(0)
        mocks.add_to_history(mock, request("GET /late"))
        result = await waiting
        assert result.met
        assert len(result.records) == 2

        gone = asyncio.ensure_future(mocks.wait(mock, lambda r: True, 5, 5))
        await asyncio.sleep(0)
        mocks.delete("http", "w")
        with pytest.raises(UnknownMock):
            await gone
        with pytest.raises(InvalidInput, match="count"):
            await mocks.wait(mock, lambda r: True, 0, 1)

    run(scenario())


def test_from_settings_carries_the_limits() -> None:
    from pretenders.server.settings import Settings

    mocks = MockService.from_settings(
        Settings(history_limit=7, regex_timeout=0.2, max_body_size=10, max_mocks=3)
    )
    assert mocks.regex_timeout == 0.2
    assert mocks.max_body_size == 10
    assert mocks.registry.history_limit == 7
    assert mocks.registry.max_mocks == 3
