"""Two server processes on one Redis are one pretenders: every request recorded once,
every preset served exactly its ``times``, whichever process a request reaches."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deployments.redis_server import RedisServer
from tests.shared_store.processes import ServerProcess

MOCKS = 20
REQUESTS = 2000
LIMITED = 37
"""Uses of each mock's first preset: fewer than the requests it gets (100)."""


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with RedisServer(tmp_path / "redis") as redis:
        store = ["--store", redis.url(1)]
        with ServerProcess(store) as first, ServerProcess(store) as second:
            yield first, second


async def _send(urls: list[str]) -> list[tuple[str, int, int]]:
    """Every tagged request, alternately to each server, 32 at a time: (mock, tag, status)."""
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        gate = asyncio.Semaphore(32)

        async def one(tag: int) -> tuple[str, int, int]:
            mock = f"mock-{tag % MOCKS}"
            base = urls[tag % 2]
            async with gate:
                response = await client.get(
                    f"{base}/mockhttp/{mock}/item", headers={"X-Tag": str(tag)}
                )
            return mock, tag, response.status_code

        return await asyncio.gather(*(one(tag) for tag in range(REQUESTS)))


def test_requests_split_across_two_processes_are_each_recorded_once_and_times_hold(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = two_servers
    with httpx.Client(timeout=10) as admin:
        for number in range(MOCKS):
            name = f"mock-{number}"
            owner = first.url if number % 2 else second.url
            assert admin.post(f"{owner}/http", json={"name": name}).status_code == 200
            limited = {"rule": "GET /item", "status": 201, "times": LIMITED}
            assert admin.post(f"{owner}/preset/{name}", json=limited).status_code == 200
            fallback = {"rule": "GET", "status": 200, "times": "FOREVER"}
            assert admin.post(f"{first.url}/preset/{name}", json=fallback).status_code == 200

        answers = asyncio.run(_send([first.url, second.url]))

        served = collections.Counter((mock, status) for mock, _, status in answers)
        for number in range(MOCKS):
            name = f"mock-{number}"
            assert served[(name, 201)] == LIMITED, served
            assert served[(name, 200)] == REQUESTS // MOCKS - LIMITED, served
            for reader in (first.url, second.url):  # the same history from either process
                history = admin.get(f"{reader}/history/{name}").json()
                tags = [record["headers"]["X-Tag"] for record in history]
                assert len(tags) == REQUESTS // MOCKS
                assert sorted(map(int, tags)) == list(range(number, REQUESTS, MOCKS))
                by_preset = collections.Counter(record["preset"] for record in history)
                assert by_preset == {0: LIMITED, 1: REQUESTS // MOCKS - LIMITED}
            assert admin.get(f"{second.url}/preset/{name}").json()[0]["rule"]["rule"] == "GET"
