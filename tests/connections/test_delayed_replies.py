"""A delayed reply ends with its client, and ``after`` has an upper bound."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
from collections.abc import Iterator

import httpx
import pytest

from pretenders.server.core.presets import MAX_AFTER
from pretenders.server.embedded import EmbeddedServer
from tests.connections.helpers import new_mock, request
from tests.raw_socket import read_response
from tests.waiting import wait_until

ABANDONED = 20


@pytest.fixture
def server() -> Iterator[EmbeddedServer]:
    """A server of its own: the test counts every task on its loop."""
    with EmbeddedServer() as running:
        yield running


def task_count(server: EmbeddedServer) -> int:
    """The tasks alive on the server's event loop, counted from that loop; aiohttp's
    connection handlers aside (the admin calls' connections come and go meanwhile, and
    mock requests are served by mock_protocol.py's own tasks)."""
    loop = server._loop
    assert loop is not None

    async def count() -> int:
        return sum(
            "RequestHandler" not in task.get_coro().__qualname__  # type: ignore[union-attr]
            for task in asyncio.all_tasks()
        )

    return asyncio.run_coroutine_threadsafe(count(), loop).result(5)


def test_an_abandoned_delayed_reply_leaves_no_task_behind(server: EmbeddedServer) -> None:
    mock_id = new_mock(server.url, rule="GET /never", after=MAX_AFTER, times="FOREVER")
    before = task_count(server)
    clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(ABANDONED)]
    try:
        for client in clients:
            client.sendall(request(f"/mockhttp/{mock_id}/never"))
        history = f"{server.url}/history/{mock_id}"
        wait_until(lambda: len(httpx.get(history).json()) == ABANDONED, timeout=10)
        assert task_count(server) >= before + ABANDONED, "the replies were not under way"
    finally:
        for client in clients:
            client.close()
    wait_until(lambda: task_count(server) <= before, timeout=10)
    records = httpx.get(f"{server.url}/history/{mock_id}").json()
    assert [(r["status"], r["matched"]) for r in records] == [(200, True)] * ABANDONED


def test_a_delayed_reply_still_reaches_a_client_that_waits(server: EmbeddedServer) -> None:
    body = base64.b64encode(b"worth it").decode()
    mock_id = new_mock(server.url, rule="GET /late", body=body, after=0.2)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
        client.sendall(request(f"/mockhttp/{mock_id}/late"))
        assert read_response(client) == (200, b"worth it")


@pytest.mark.parametrize("after", [MAX_AFTER + 1, 1e300, -1])
def test_an_http_reply_delay_out_of_bounds_is_a_400(
    admin: httpx.Client, new_mock_id: str, after: float
) -> None:
    answer = admin.post(f"/preset/{new_mock_id}", json={"rule": "GET /x", "after": after})
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["field"] == "after"
    assert "from 0 to 3600" in error["message"]


def test_an_http_reply_delay_at_the_bound_is_accepted(
    admin: httpx.Client, new_mock_id: str
) -> None:
    answer = admin.post(f"/preset/{new_mock_id}", json={"rule": "GET /x", "after": MAX_AFTER})
    assert answer.status_code == 200, answer.text


def test_an_smtp_reply_delay_out_of_bounds_is_a_400(admin: httpx.Client) -> None:
    mock_id = admin.post("/smtp", json={}).json()["id"]
    try:
        preset = {"stage": "data", "status": 451, "after": 1e300}
        answer = admin.post(f"/preset/{mock_id}", json=preset)
        assert answer.status_code == 400
        error = answer.json()["errors"][0]
        assert (error["field"], "from 0 to 3600" in error["message"]) == ("after", True)
    finally:
        with contextlib.suppress(httpx.HTTPError):
            admin.delete(f"/smtp/{mock_id}")


@pytest.fixture
def new_mock_id(admin: httpx.Client) -> Iterator[str]:
    mock_id = admin.post("/http", json={}).json()["id"]
    yield mock_id
    admin.delete(f"/http/{mock_id}")
