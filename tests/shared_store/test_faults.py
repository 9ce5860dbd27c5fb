"""Redis away (paused, or killed and restarted from its append-only file): requests and
admin calls get a 503 naming the store, /health says degraded, nothing crashes, service
resumes by itself, and nothing acknowledged is lost. Never a reply without a record."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.deployments.redis_server import RedisServer
from tests.waiting import wait_until

STORE_TIMEOUT = 2.0
"""The server's --store-timeout: short enough for the test, long enough that a loaded
machine does not make a Redis that is there look away."""
BOUND = 10.0
"""Seconds within which a request must get its 503 once Redis is away (store timeout,
one retry on a new connection, and slack for a loaded machine)."""


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis", appendonly=True) as server:
        yield server


@pytest.fixture
def server(redis: RedisServer) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(store=redis.url(0), store_timeout=STORE_TIMEOUT) as running:
        yield running


@pytest.fixture
def traffic(server: EmbeddedServer) -> Iterator[Traffic]:
    made = Traffic(server)
    yield made
    made.close()


class Traffic:
    """Tagged requests to one mock; remembers which the server acknowledged (200)."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.client = httpx.Client(base_url=server.url, timeout=30)
        self.acknowledged: list[str] = []
        self.next_tag = 0
        assert self.client.post("/http", json={"name": "faulty"}).status_code == 200
        preset = {"rule": "GET", "body": "b2s=", "times": "FOREVER"}
        assert self.client.post("/preset/faulty", json=preset).status_code == 200

    def close(self) -> None:
        self.client.close()

    def send(self) -> httpx.Response:
        tag = str(self.next_tag)
        self.next_tag += 1
        started = time.monotonic()
        response = self.client.get("/mockhttp/faulty/x", headers={"X-Tag": tag})
        assert time.monotonic() - started < BOUND
        if response.status_code == 200:
            assert response.text == "ok"
            self.acknowledged.append(tag)
        return response

    def recorded_tags(self) -> list[str]:
        history = self.client.get("/history/faulty")
        assert history.status_code == 200, history.text
        return [record["headers"]["X-Tag"] for record in history.json()]


def _refused_naming_the_store(response: httpx.Response, redis: RedisServer) -> bool:
    assert response.status_code == 503, response.text
    assert f"127.0.0.1:{redis.port}" in response.text
    return True


def _health(server: EmbeddedServer) -> httpx.Response:
    return httpx.get(f"{server.url}/health", timeout=BOUND)


def test_a_paused_redis_gives_503s_naming_it_then_service_resumes(
    server: EmbeddedServer, redis: RedisServer, traffic: Traffic
) -> None:
    for _ in range(20):
        assert traffic.send().status_code == 200
    redis.pause()
    try:
        _refused_naming_the_store(traffic.send(), redis)
        admin = traffic.client.post("/preset/faulty", json={"rule": "GET /other"})
        _refused_naming_the_store(admin, redis)
        health = _health(server)
        assert health.status_code == 503
        assert health.json()["status"] == "degraded"
        assert health.json()["store"] == redis.url(0)
    finally:
        redis.resume()
    wait_until(lambda: traffic.send().status_code == 200, timeout=30)
    assert _health(server).json() == {"status": "ok"}
    for _ in range(20):
        assert traffic.send().status_code == 200
    recorded = traffic.recorded_tags()
    assert set(traffic.acknowledged) <= set(recorded)
    assert len(recorded) == len(set(recorded))  # none twice


def test_a_killed_redis_gives_503s_then_restarted_from_its_file_loses_nothing(
    server: EmbeddedServer, redis: RedisServer, traffic: Traffic
) -> None:
    for _ in range(50):
        assert traffic.send().status_code == 200
    redis.kill()
    _refused_naming_the_store(traffic.send(), redis)
    _refused_naming_the_store(traffic.client.get("/history/faulty"), redis)
    assert _health(server).json()["status"] == "degraded"
    redis.start()
    wait_until(lambda: traffic.send().status_code == 200, timeout=30)
    for _ in range(20):
        response = traffic.send()
        assert response.status_code == 200, response.text
    recorded = traffic.recorded_tags()
    assert set(traffic.acknowledged) <= set(recorded)
    assert len(recorded) == len(set(recorded))
    # The mock, its preset and its history all came back from the append-only file.
    assert traffic.client.get("/preset/faulty").json()[0]["rule"]["rule"] == "GET"


def test_a_request_refused_for_want_of_the_store_is_not_recorded(
    server: EmbeddedServer, redis: RedisServer, traffic: Traffic
) -> None:
    assert traffic.send().status_code == 200
    redis.kill()
    refused = [traffic.send() for _ in range(3)]
    assert all(response.status_code == 503 for response in refused)
    redis.start()
    wait_until(lambda: traffic.send().status_code == 200, timeout=30)
    recorded = traffic.recorded_tags()
    assert recorded == traffic.acknowledged  # the three refused ones are not there


def test_a_redis_that_lost_the_scripts_serves_on(
    redis: RedisServer, server: EmbeddedServer
) -> None:
    """SCRIPT FLUSH (or a Redis restarted without them): the next request loads the
    script again and is served and recorded, as every one after it."""
    import redis as redis_client

    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.post("/http", json={"name": "flushed"}).status_code == 200
        preset = {"rule": "GET", "body": "b2s=", "times": "FOREVER"}
        assert http.post("/preset/flushed", json=preset).status_code == 200
        assert http.get("/mockhttp/flushed/one").status_code == 200
        with redis_client.Redis.from_url(redis.url(0)) as direct:
            direct.script_flush()
        assert http.get("/mockhttp/flushed/two").status_code == 200
        assert http.get("/mockhttp/flushed/three").status_code == 200
        history = http.get("/history/flushed").json()
        assert [call["url"] for call in history] == ["/one", "/two", "/three"]
