"""Long-poll waits over plain HTTP against a real server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.state import STATE
from tests.waiting import wait_until

pytestmark = pytest.mark.deployments


def pending_waits(server: EmbeddedServer) -> int:
    return server.app[STATE].mocks.waiters.pending


@pytest.fixture
def mock_id(new_mock: Callable[..., str]) -> str:
    return new_mock()


@pytest.fixture
def later(server: EmbeddedServer) -> Iterator[Callable[[float, str, str], None]]:
    """Send a request to the server from another thread after a delay."""
    threads: list[threading.Thread] = []

    def send(delay: float, method: str, path: str) -> None:
        def run() -> None:
            time.sleep(delay)  # the scenario itself: something arrives while the test waits
            httpx.request(method, server.url + path, timeout=10)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)

    yield send
    for thread in threads:
        thread.join(10)


def test_a_wait_made_before_the_request_returns_as_soon_as_it_arrives(
    admin: httpx.Client, mock_id: str, later: Callable[[float, str, str], None]
) -> None:
    later(0.3, "POST", f"/mockhttp/{mock_id}/hooks/paid?order=7")
    started = time.monotonic()
    response = admin.post(
        f"/wait/{mock_id}", json={"rule": "POST /hooks/", "timeout": 10}, timeout=20
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["met"], body["count"], body["wanted"]) == (True, 1, 1)
    assert body["requests"][0]["url"] == "/hooks/paid?order=7"
    assert body["requests"][0]["matched"] is False
    assert 0.25 < elapsed < 5, elapsed


def test_a_wait_made_after_the_requests_returns_at_once(admin: httpx.Client, mock_id: str) -> None:
    for n in range(3):
        admin.get(f"/mockhttp/{mock_id}/item/{n}")
    started = time.monotonic()
    body = admin.post(f"/wait/{mock_id}", json={"rule": "GET /item", "count": 2}).json()
    assert time.monotonic() - started < 2
    assert (body["met"], body["count"]) == (True, 3)
    assert [r["url"] for r in body["requests"]] == ["/item/0", "/item/1", "/item/2"]


def test_a_timeout_returns_what_was_seen(admin: httpx.Client, mock_id: str) -> None:
    admin.post(f"/mockhttp/{mock_id}/orders", content=b'{"qty": 2}')
    admin.post(f"/mockhttp/{mock_id}/orders", content=b'{"qty": 3}')
    started = time.monotonic()
    response = admin.post(
        f"/wait/{mock_id}",
        json={"rule": "POST /orders", "body": '.*"qty": 2', "count": 2, "timeout": 0.3},
    )
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    body = response.json()
    assert (body["met"], body["count"], body["wanted"]) == (False, 1, 2)
    assert body["message"] == "timed out after 0.3 s with 1 of 2 matching requests"
    assert len(body["requests"]) == 1


def test_a_zero_timeout_only_looks_at_history(admin: httpx.Client, mock_id: str) -> None:
    body = admin.post(f"/wait/{mock_id}", json={"timeout": 0}).json()
    assert (body["met"], body["count"], body["requests"]) == (False, 0, [])


def test_only_matching_requests_count(
    admin: httpx.Client, mock_id: str, later: Callable[[float, str, str], None]
) -> None:
    later(0.1, "GET", f"/mockhttp/{mock_id}/other")
    later(0.2, "GET", f"/mockhttp/{mock_id}/wanted")
    body = admin.post(
        f"/wait/{mock_id}", json={"rule": "GET /wanted", "timeout": 10}, timeout=20
    ).json()
    assert body["met"] is True
    assert [r["url"] for r in body["requests"]] == ["/wanted"]


async def raw_call(
    server: EmbeddedServer, method: str, path: str, payload: object = None
) -> tuple[int, bytes]:
    """One request on its own connection: light enough to hold hundreds open at once."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    body = b"" if payload is None else json.dumps(payload).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    writer.write(f"{head}Connection: close\r\n\r\n".encode() + body)
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    status_line, _, rest = answer.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), rest


@pytest.mark.memory_only  # counts the waits held in one server's state
def test_two_hundred_waits_held_at_once(server: EmbeddedServer, mock_id: str) -> None:
    total = 200

    async def main() -> list[tuple[int, bytes]]:
        waits = [
            asyncio.ensure_future(
                raw_call(
                    server, "POST", f"/wait/{mock_id}", {"rule": f"GET /item/{n}$", "timeout": 20}
                )
            )
            for n in range(total)
        ]
        deadline = time.monotonic() + 10
        while pending_waits(server) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert pending_waits(server) == total
        assert not any(wait.done() for wait in waits)
        for n in reversed(range(total)):
            status, _ = await raw_call(server, "GET", f"/mockhttp/{mock_id}/item/{n}")
            assert status == 404
        return await asyncio.wait_for(asyncio.gather(*waits), 10)

    for n, (status, answer) in enumerate(asyncio.run(main())):
        assert status == 200
        body = json.loads(answer)
        assert (body["met"], body["count"]) == (True, 1), body
        assert body["requests"][0]["url"] == f"/item/{n}"
    assert pending_waits(server) == 0


@pytest.mark.memory_only  # counts the waits held in one server's state
def test_a_client_that_goes_away_leaves_no_waiter(
    server: EmbeddedServer, admin: httpx.Client, mock_id: str
) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.url}/wait/{mock_id}", json={"timeout": 60}, timeout=0.5)
    wait_until(lambda: pending_waits(server) == 0, timeout=5)


@pytest.mark.memory_only  # counts the waits held in one server's state
def test_a_wait_ends_with_404_when_its_mock_is_deleted(
    server: EmbeddedServer, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock(name="wait-deleted")

    def delete_once_waited_on() -> None:
        wait_until(lambda: pending_waits(server) == 1, timeout=5)
        httpx.delete(f"{server.url}/http/{mock_id}", timeout=5)

    thread = threading.Thread(target=delete_once_waited_on, daemon=True)
    thread.start()
    response = admin.post(f"/wait/{mock_id}", json={"timeout": 20}, timeout=30)
    thread.join(10)
    assert response.status_code == 404
    assert "wait-deleted" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"timeout": -1}, "timeout", "timeout must be a number of seconds from 0 to 300"),
        ({"timeout": 301}, "timeout", "timeout must be a number of seconds from 0 to 300"),
        (b'{"timeout": 1e400}', "timeout", "timeout: Number out of range"),
        ({"timeout": "soon"}, "timeout", "timeout: Expected `float`, got `str`"),
        ({"count": 0}, "count", "count must be 1 or more"),
        ({"count": 1.5}, "count", "count: Expected `int`, got `float`"),
        ({"subject": "x"}, "subject", "subject filters mails"),
        ({"rule": "(["}, "rule", "rule: invalid regular expression"),
    ],
)
def test_bad_waits_are_refused(
    admin: httpx.Client,
    mock_id: str,
    payload: dict[str, object] | bytes,
    field: str,
    message: str,
) -> None:
    if isinstance(payload, bytes):
        response = admin.post(f"/wait/{mock_id}", content=payload)
    else:
        response = admin.post(f"/wait/{mock_id}", json=payload)
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert (error["field"], error["message"][: len(message)]) == (field, message)


def test_a_wait_on_an_unknown_mock_is_404(admin: httpx.Client) -> None:
    response = admin.post("/wait/never-made", json={})
    assert response.status_code == 404
    assert "never-made" in response.json()["errors"][0]["message"]
