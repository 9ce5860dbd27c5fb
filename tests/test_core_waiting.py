"""Unit tests of the waiters over the in-memory store, on an event loop of their own."""

from __future__ import annotations

import asyncio

import pytest

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.filters import RequestFilter
from pretenders.server.core.matching import MatchRule
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import Mock, Registry
from pretenders.server.core.waiting import Outcome, Waiters, check_wait
from pretenders.server.store.memory import MemoryStore


def get(url: str) -> RequestRecord:
    return RequestRecord("GET", url, (), b"", 0.0, status=404)


async def setup() -> tuple[MemoryStore, Waiters, Mock]:
    store = MemoryStore(Registry(), regex_timeout=1.0)
    waiters = Waiters(store)
    mock, _ = await store.create_or_join("http", None, "default")
    return store, waiters, mock


WANTED = RequestFilter(MatchRule("GET /wanted"))


def test_records_already_there_count() -> None:
    async def main() -> None:
        store, waiters, mock = await setup()
        await store.record(mock, get("/wanted"))
        result = await waiters.wait(mock, WANTED, 1, 5)
        assert result.met
        assert waiters.pending == 0

    asyncio.run(main())


def test_resolves_on_the_record_that_completes_the_count() -> None:
    async def main() -> None:
        store, waiters, mock = await setup()
        other, _ = await store.create_or_join("http", None, "default")
        task = asyncio.ensure_future(waiters.wait(mock, WANTED, 2, 5))
        await asyncio.sleep(0)
        assert waiters.pending == 1
        for record in (get("/wanted"), get("/other")):
            await store.record(mock, record)
        await store.record(other, get("/wanted"))
        await asyncio.sleep(0)
        assert not task.done()
        await store.record(mock, get("/wanted/again"))
        result = await asyncio.wait_for(task, 1)
        assert result.outcome is Outcome.MET
        assert [r.url for r in result.records] == ["/wanted", "/wanted/again"]  # type: ignore[union-attr]
        assert waiters.pending == 0

    asyncio.run(main())


def test_times_out_with_what_was_seen() -> None:
    async def main() -> None:
        store, waiters, mock = await setup()
        await store.record(mock, get("/wanted"))
        result = await waiters.wait(mock, WANTED, 2, 0.05)
        assert result.outcome is Outcome.TIMED_OUT
        assert len(result.records) == 1
        assert waiters.pending == 0

    asyncio.run(main())


def test_a_removed_mock_ends_its_waits() -> None:
    async def main() -> None:
        store, waiters, mock = await setup()
        task = asyncio.ensure_future(waiters.wait(mock, WANTED, 1, 5))
        await asyncio.sleep(0)
        assert await store.delete(mock)
        assert (await asyncio.wait_for(task, 1)).outcome is Outcome.GONE

    asyncio.run(main())


def test_cancelling_a_wait_forgets_it() -> None:
    async def main() -> None:
        store, waiters, mock = await setup()
        task = asyncio.ensure_future(waiters.wait(mock, WANTED, 1, 5))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert waiters.pending == 0
        assert store.registry.get("http", mock.id).followers == []  # unfollowed
        await store.record(mock, get("/wanted"))  # no waiter left to tell

    asyncio.run(main())


@pytest.mark.parametrize(("count", "timeout"), [(0, 1.0), (1, -0.1), (1, 300.5), (1, float("nan"))])
def test_check_wait_refuses(count: int, timeout: float) -> None:
    with pytest.raises(InvalidInput):
        check_wait(count, timeout)
