"""Sequences and state under concurrency: requests at once from two servers on one Redis
(and the same on one server) advance one machine and one preset; every transition
happens once and every reply of a sequence is served as often as it should be."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.deployments.matrix import Deployed
from tests.replies_state.helpers import add, reply

pytestmark = pytest.mark.deployments

AT_ONCE = 20


@pytest.fixture(params=["memory", "redis-pair"])
def addresses(
    request: pytest.FixtureRequest, start_deployment: Callable[..., Any]
) -> Iterator[list[str]]:
    """The base URLs of the servers of a deployment (both servers of a pair, directly)."""
    with start_deployment(request.param) as deployed:
        servers: list[Deployed] = getattr(deployed, "servers", [deployed])
        yield [server.url for server in servers]


@contextlib.contextmanager
def new_mock(url: str) -> Iterator[str]:
    with httpx.Client(base_url=url, timeout=10) as admin:
        mock_id = admin.post("/http", json={}).json()["id"]
        yield mock_id
        admin.delete(f"/http/{mock_id}")


def at_once(addresses: list[str], paths: list[str]) -> list[httpx.Response]:
    """POST every path at the same time, spread over the servers."""

    async def send() -> list[httpx.Response]:
        clients = [httpx.AsyncClient(base_url=url, timeout=20) for url in addresses]
        try:
            return await asyncio.gather(
                *(clients[number % len(clients)].post(path) for number, path in enumerate(paths))
            )
        finally:
            for client in clients:
                await client.aclose()

    return asyncio.run(send())


def test_each_transition_happens_once(addresses: list[str]) -> None:
    with new_mock(addresses[0]) as mock_id, httpx.Client(base_url=addresses[0]) as admin:
        machine = {"machine": "order", "key": "path:id"}
        rule = {"method": "POST", "path": "/orders/{id}/next"}
        for before, after in [("start", "created"), ("created", "paid"), ("paid", "shipped")]:
            add(
                admin,
                mock_id,
                rule=rule,
                state={**machine, "requires": before, "to": after},
                body=reply(after)["body"],
                times="FOREVER",
            )
        add(admin, mock_id, rule=rule, status=409, times="FOREVER")
        paths = [f"/mockhttp/{mock_id}/orders/{1 + n % 2}/next" for n in range(AT_ONCE)]
        answers = at_once(addresses, paths)
        by_order: dict[str, Counter[str]] = {"1": Counter(), "2": Counter()}
        for path, answer in zip(paths, answers, strict=True):
            by_order[path.split("/")[-2]][answer.text if answer.status_code == 200 else "409"] += 1
        expected = Counter({"created": 1, "paid": 1, "shipped": 1, "409": AT_ONCE // 2 - 3})
        assert by_order == {"1": expected, "2": expected}
        states = admin.get(f"/state/{mock_id}").json()
        assert {(s["key"], s["state"]) for s in states} == {("1", "shipped"), ("2", "shipped")}
        history = admin.get(f"/history/{mock_id}").json()
        assert len(history) == AT_ONCE


def test_each_reply_of_a_sequence_is_served_its_share(addresses: list[str]) -> None:
    with new_mock(addresses[0]) as mock_id, httpx.Client(base_url=addresses[0]) as admin:
        add(
            admin,
            mock_id,
            rule="POST /cycle",
            replies=[reply(name) for name in "abcd"],
            pick="cycle",
            times=AT_ONCE,
        )
        add(
            admin,
            mock_id,
            rule="POST /sequence",
            replies=[reply(name) for name in "xyz"],
            times="FOREVER",
        )
        cycled = at_once(addresses, [f"/mockhttp/{mock_id}/cycle"] * AT_ONCE)
        assert Counter(a.text for a in cycled) == dict.fromkeys("abcd", AT_ONCE // 4)
        in_sequence = at_once(addresses, [f"/mockhttp/{mock_id}/sequence"] * AT_ONCE)
        assert Counter(a.text for a in in_sequence) == {"x": 1, "y": 1, "z": AT_ONCE - 2}
        served_by = Counter(r["preset"] for r in admin.get(f"/history/{mock_id}").json())
        assert served_by == {0: AT_ONCE, 1: AT_ONCE}
