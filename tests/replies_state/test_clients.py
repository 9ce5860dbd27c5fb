"""Sequences and state machines through the sync and async clients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock
from pretenders.client.http import HTTPMock
from pretenders.client.replies import Reply, State
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import PretendersError
from tests.deployments.matrix import Deployed

pytestmark = pytest.mark.deployments


def test_sync_client_sequence_state_and_admin(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock()
    mock.when("GET /retry").reply(
        replies=[Reply("busy", status=503, headers={"Retry-After": "0"}), Reply("done")],
        times=FOREVER,
    )
    order = State("order", key="path:id")
    mock.when(method="POST", path="/orders/{id}/pay").reply(
        "paid", state=State(**{**vars(order), "requires": "created", "to": "paid"})
    )
    with httpx.Client(base_url=mock.pretend_url, timeout=10) as http:
        first = http.get("/retry")
        assert (first.status_code, first.headers["Retry-After"]) == (503, "0")
        assert http.get("/retry").text == "done"
        assert http.post("/orders/3/pay").status_code == 404
        mock.set_state("order", "created", key="3")
        assert mock.state()["order", "3"] == "created"
        assert http.post("/orders/3/pay").text == "paid"
    assert mock.state() == {("order", "3"): "paid"}
    assert mock.state()["order", "4"] == "start"
    mock.reset_state("order", key="3")
    assert mock.state() == {}


def test_sync_client_random_with_dict_replies(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock()
    mock.when("GET /r").reply(
        replies=[{"body": "a", "weight": 1}, {"body": "b", "weight": 1000}],
        pick="random",
        seed=5,
        times=FOREVER,
    )
    with httpx.Client(base_url=mock.pretend_url, timeout=10) as http:
        assert {http.get("/r").text for _ in range(5)} <= {"a", "b"}
    assert mock.unused_presets() == []  # FOREVER and served


def test_the_client_reports_a_refused_preset(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock()
    with pytest.raises(PretendersError, match="replies replaces"):
        mock.when("GET /x").reply("own body", replies=[Reply("a")])
    with pytest.raises(PretendersError, match=r"state\.key"):
        mock.when("GET /x").reply(state=State("m", key="nowhere"))
    with pytest.raises(PretendersError, match="key needs the machine"):
        mock.reset_state(key="3")


def test_async_client(server: Deployed) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock:
            try:
                await mock.when("POST /login").reply(
                    state=State("session", key="header:X-Session", to="in"), times=FOREVER
                )
                await mock.when("GET /me").reply(
                    replies=[Reply("me"), Reply("me again")],
                    pick="cycle",
                    state={"machine": "session", "key": "header:X-Session", "requires": "in"},
                    times=FOREVER,
                )
                async with httpx.AsyncClient(base_url=mock.pretend_url, timeout=10) as http:
                    alice = {"X-Session": "alice"}
                    assert (await http.get("/me", headers=alice)).status_code == 404
                    await http.post("/login", headers=alice)
                    got = [(await http.get("/me", headers=alice)).text for _ in range(3)]
                    assert got == ["me", "me again", "me"]
                    assert (await http.get("/me", headers={"X-Session": "bob"})).status_code == 404
                assert (await mock.state()) == {("session", "alice"): "in"}
                await mock.set_state("session", "out", key="alice")
                assert (await mock.state())["session", "alice"] == "out"
                await mock.reset_state()
                assert (await mock.state()) == {}
            finally:
                await mock.delete_mock()

    asyncio.run(scenario())
