"""The in-memory store through the store protocol: what the facade relies on, one call each."""

from __future__ import annotations

import pytest

from pretenders.common.constants import FOREVER
from pretenders.server.core.errors import UnknownMock
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.presets import Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import Mock, Record, Registry
from pretenders.server.core.store import Store
from pretenders.server.store.memory import MemoryStore

pytestmark = pytest.mark.anyio


def open_store(**registry: object) -> Store:
    return MemoryStore(Registry(**registry), regex_timeout=1.0)  # type: ignore[arg-type]


def request(line: str) -> RequestRecord:
    method, url = line.split(" ", 1)
    return RequestRecord(method=method, url=url, headers=(), body=b"", time=0.0)


def serve_args(line: str) -> tuple[MatchSubject, RequestRecord]:
    record = request(line)
    return MatchSubject(record), record


async def test_a_match_claims_one_use_and_records_the_request_as_served_by_it() -> None:
    store = open_store()
    mock, created = await store.create_or_join("http", "m", "default")
    assert created
    preset = await store.add_preset(mock, MatchRule("GET /a"), Reply(status=201), 2)

    served = await store.serve(mock, *serve_args("GET /a"))

    assert served.preset is preset
    assert (served.comparison, served.gone, served.gave_up) == (None, False, [])
    assert preset.served == 1
    assert [p.id for p in await store.presets(mock)] == [preset.id]
    [record], _ = await store.records(mock)
    assert (record.status, record.preset_id) == (201, preset.id)  # type: ignore[union-attr]

    await store.serve(mock, *serve_args("GET /a"))
    assert await store.presets(mock) == [], "used up after its two uses"


async def test_first_added_first_tried() -> None:
    store = open_store()
    mock, _ = await store.create_or_join("http", "m", "default")
    first = await store.add_preset(mock, MatchRule("GET /"), Reply(), 1)
    second = await store.add_preset(mock, MatchRule("GET /"), Reply(), FOREVER)
    served = [(await store.serve(mock, *serve_args("GET /"))).preset for _ in range(3)]
    assert served == [first, second, second]


async def test_a_miss_is_recorded_with_its_near_misses() -> None:
    store = open_store()
    mock, _ = await store.create_or_join("http", "m", "default")
    near = await store.add_preset(mock, MatchRule("GET /item/1"), Reply(), FOREVER)
    await store.add_preset(mock, MatchRule("POST /other"), Reply(), FOREVER)

    subject, record = serve_args("GET /item/2")
    served = await store.serve(mock, subject, record)

    assert served.preset is None
    assert served.preset_count == 2
    assert served.comparison is not None
    assert served.comparison.compared == 2
    assert served.comparison.misses[0].preset_id == near.id, "the closest first"
    [kept], _ = await store.records(mock)
    assert kept is record
    assert record.status == 404
    assert record.preset_id is None
    assert record.near_misses == served.comparison.misses


async def test_a_request_for_a_mock_deleted_meanwhile_is_neither_served_nor_recorded() -> None:
    store = open_store()
    mock, _ = await store.create_or_join("http", "m", "default")
    await store.add_preset(mock, MatchRule("GET /"), Reply(), FOREVER)
    heard: list[Record] = []
    store.observe(lambda _mock, _seq, record: heard.append(record))
    assert await store.delete(mock)
    assert not await store.delete(mock), "already gone"

    served = await store.serve(mock, *serve_args("GET /"))

    assert (served.gone, served.preset) == (True, None)
    assert heard == []
    with pytest.raises(UnknownMock):
        await store.records(Mock(mock.id, "http", None, 0.0, 0.0))
    again, created = await store.create_or_join("http", "m", "default")
    assert created
    assert (await store.serve(again, *serve_args("GET /"))).gone is False
    assert (await store.serve(mock, *serve_args("GET /"))).gone, "the old handle's mock is gone"
    assert len((await store.records(again))[0]) == 1


async def test_records_page_by_position_and_tell_the_next_sequence_number() -> None:
    store = open_store(history_limit=4)
    mock, _ = await store.create_or_join("http", "m", "default")
    records = [request(f"GET /{n}") for n in range(6)]
    for record in records:
        await store.record(mock, record)

    assert await store.records(mock) == (records[2:], 6)
    assert await store.records(mock, 1, 3) == (records[3:5], 6)
    assert await store.records(mock, 3) == ([records[5]], 6)
    assert await store.records(mock, 0, 0) == ([], 6)
    assert await store.records(mock, 9) == ([], 6)
    assert await store.record_at(mock, 0) is records[2]
    assert await store.record_at(mock, -1) is records[5]
    assert await store.record_at(mock, 4) is None
    stats = await store.history_stats(mock)
    assert (stats.total, stats.kept, stats.dropped) == (6, 4, 2)

    await store.clear_history(mock)
    assert await store.records(mock) == ([], 6), "sequence numbers are never reused"
    await store.record(mock, request("GET /after"))
    assert (await store.records(mock))[1] == 7
    assert (await store.history_stats(mock)).total == 1


async def test_follow_tells_one_mock_observe_tells_every_mock() -> None:
    store = open_store()
    mock, _ = await store.create_or_join("http", "a", "default")
    other, _ = await store.create_or_join("http", "b", "default")
    followed: list[tuple[str, int, Record]] = []
    observed: list[tuple[str, int, Record]] = []

    def follower(told: Mock, seq: int, record: Record) -> None:
        followed.append((told.id, seq, record))

    def observer(told: Mock, seq: int, record: Record) -> None:
        observed.append((told.id, seq, record))

    unfollow = store.follow(mock, follower, 0)
    unobserve = store.observe(observer)
    first, second, elsewhere = request("GET /1"), request("GET /2"), request("GET /x")
    await store.record(mock, first)
    await store.serve(mock, MatchSubject(second), second)  # a served request is told too
    await store.record(other, elsewhere)
    unfollow()
    unobserve()
    await store.record(mock, request("GET /unheard"))

    assert followed == [("a", 0, first), ("a", 1, second)]
    assert observed == [("a", 0, first), ("a", 1, second), ("b", 0, elsewhere)]


async def test_removed_mocks_are_told_once() -> None:
    clock = [1000.0]
    store = open_store(clock=lambda: clock[0])
    removed: list[str] = []
    store.on_removed(lambda mock: removed.append(mock.id))
    await store.create_or_join("http", "idle", 1.0)
    await store.create_or_join("smtp", "kept", None)
    clock[0] += 5
    assert [m.id for m in await store.prune()] == ["idle"]
    assert await store.prune() == []
    assert await store.find("idle") is None
    assert await store.arrived("http", "kept", clock[0]) is None, "wrong protocol"
    assert [m.id for m in await store.list_mocks("smtp")] == ["kept"]
    await store.delete_all()
    assert removed == ["idle", "kept"]
    assert await store.list_mocks("smtp") == []
