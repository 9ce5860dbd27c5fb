"""Many clients at once configure and call many mocks: every request is recorded once, in
the right mock, and no preset is served more often than its ``times``."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer

MOCKS = 20
CALLS = {"/a": 50, "/b": 30, "/c": 20}
"""Requests per mock and path: more than the budgets below, so every budget runs out."""
IN_FLIGHT = 40
"""Requests open at once, across all mocks."""


@dataclass
class Plan:
    """One mock's presets (reply body -> times, in the order added) and what it was sent."""

    name: str
    budgets: dict[str, int]
    sent: Counter[str] = field(default_factory=Counter)
    served: Counter[bytes] = field(default_factory=Counter)

    @staticmethod
    def of(number: int) -> Plan:
        name = f"crowd-{number}"
        budgets = {"a1": 5 + number % 7, "a2": 2 + number % 3, "b": 1 + number % 11}
        return Plan(name, budgets)

    def presets(self) -> list[dict[str, object]]:
        rules = {"a1": "GET /a", "a2": "GET /a", "b": "GET /b"}
        # a2 answers late, so that its requests overlap the others' on the server.
        budgeted = [
            {"rule": rules[key], "body": body_of(self.name, key), "times": times}
            | ({"after": 0.01} if key == "a2" else {})
            for key, times in self.budgets.items()
        ]
        fallback = {"rule": "", "body": body_of(self.name, "fallback"), "times": "FOREVER"}
        return [*budgeted, fallback]


def body_of(name: str, key: str) -> str:
    return base64.b64encode(f"{name}:{key}".encode()).decode()


@pytest.fixture(scope="module")
def crowded_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer() as running:
        yield running


async def configure_and_call(
    client: httpx.AsyncClient, plan: Plan, gate: asyncio.Semaphore
) -> None:
    """Create the mock and its presets, then send its requests, many at a time."""
    created = await client.post("/http", json={"name": plan.name, "pretender_timeout": "FOREVER"})
    assert created.status_code == 200, created.text
    for preset in plan.presets():
        added = await client.post(f"/preset/{plan.name}", json=preset)
        assert added.status_code == 200, added.text

    async def call(path: str, number: int) -> None:
        tag = f"{plan.name}-{path.strip('/')}-{number}"
        async with gate:
            answer = await client.get(f"/mockhttp/{plan.name}{path}", params={"tag": tag})
        assert answer.status_code == 200, answer.text
        plan.sent[tag] += 1
        plan.served[answer.content] += 1

    await asyncio.gather(
        *(call(path, number) for path, count in CALLS.items() for number in range(count))
    )


async def crowd(url: str, plans: list[Plan]) -> None:
    limits = httpx.Limits(max_connections=IN_FLIGHT + MOCKS)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        gate = asyncio.Semaphore(IN_FLIGHT)
        await asyncio.gather(*(configure_and_call(client, plan, gate) for plan in plans))


@pytest.mark.slow
def test_every_request_recorded_once_and_every_budget_honoured(
    crowded_server: EmbeddedServer,
) -> None:
    plans = [Plan.of(number) for number in range(MOCKS)]
    asyncio.run(crowd(crowded_server.url, plans))

    with httpx.Client(base_url=crowded_server.url, timeout=30) as admin:
        for plan in plans:
            history = admin.get(f"/history/{plan.name}").json()
            recorded = Counter(record["url"].split("tag=", 1)[1] for record in history)
            assert recorded == plan.sent, f"{plan.name}: requests lost, doubled or misplaced"
            assert set(recorded.values()) == {1}

            served = {body.decode(): n for body, n in plan.served.items()}
            a_calls, b_calls = CALLS["/a"], CALLS["/b"]
            budgets = plan.budgets
            fallback_calls = sum(CALLS.values()) - sum(budgets.values())
            assert served == {
                f"{plan.name}:a1": budgets["a1"],
                f"{plan.name}:a2": budgets["a2"],
                f"{plan.name}:b": budgets["b"],
                f"{plan.name}:fallback": fallback_calls,
            }, f"{plan.name}: a preset served more or less often than its times"
            assert a_calls > budgets["a1"] + budgets["a2"] and b_calls > budgets["b"]

            by_preset = Counter(record["preset"] for record in history)
            assert sorted(by_preset.values()) == sorted(served.values())
            (left,) = admin.get(f"/preset/{plan.name}").json()  # the budgets are spent
            assert (left["times"], left["served"]) == ("FOREVER", fallback_calls)
