"""``reply(..., priority=N)`` through both clients: a preset with a priority is tried
before those added earlier without one (or with a larger number)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock
from pretenders.client.http import HTTPMock
from pretenders.common.constants import FOREVER
from pretenders.server.embedded import EmbeddedServer

pytestmark = pytest.mark.deployments


def test_priority_goes_first(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock()
    mock.when(path="/items/{id}").reply("any item", times=FOREVER)
    mock.when(path="/items/{id}").reply("second", times=FOREVER, priority=2)
    mock.when(path="/items/7").reply("item 7", times=FOREVER, priority=1)
    with httpx.Client(timeout=10) as http:
        assert http.get(mock.pretend_url + "/items/7").text == "item 7"
        assert http.get(mock.pretend_url + "/items/8").text == "second"


def test_priority_goes_first_async(server: EmbeddedServer) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock:
            try:
                await mock.when(path="/items/{id}").reply("any item", times=FOREVER)
                await mock.when(path="/items/7").reply("item 7", times=FOREVER, priority=1)
                async with httpx.AsyncClient(timeout=10) as http:
                    assert (await http.get(mock.pretend_url + "/items/7")).text == "item 7"
            finally:
                await mock.delete_mock()

    asyncio.run(scenario())
