"""Mock lifetimes over a real server: idle timeout, keep-alive, and delays that block no one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.deployments


@pytest.mark.slow
def test_idle_mock_is_gone_within_3_seconds_of_its_last_request(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock(pretender_timeout=1)
    admin.get(f"/mockhttp/{mock_id}/last")
    last_request = time.monotonic()
    wait_until(lambda: admin.get(f"/http/{mock_id}").status_code == 404, timeout=3)
    assert time.monotonic() - last_request >= 1, "removed before its timeout"
    assert admin.get(f"/history/{mock_id}").json() == []
    assert admin.get(f"/mockhttp/{mock_id}/x").status_code == 404


@pytest.mark.slow
def test_mock_called_every_half_second_stays(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock(pretender_timeout=1)
    for _ in range(6):
        assert admin.get(f"/mockhttp/{mock_id}/ping").status_code == 404  # no preset: recorded
        time.sleep(0.5)  # the test is about calls spaced in time, not a race
    assert admin.get(f"/http/{mock_id}").status_code == 200
    assert len(admin.get(f"/history/{mock_id}").json()) == 6


def test_forever_mock_survives_a_prune(admin: httpx.Client, new_mock: Callable[..., str]) -> None:
    mock_id = new_mock(pretender_timeout="FOREVER")
    admin.delete("/http", params={"stale": 1})
    assert admin.get(f"/http/{mock_id}").status_code == 200


@pytest.mark.slow
def test_delayed_replies_hold_up_nothing_else(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    slow, fast = new_mock(), new_mock()
    admin.post(f"/preset/{slow}", json={"rule": "GET /long", "after": 2, "times": "FOREVER"})
    admin.post(f"/preset/{fast}", json={"rule": "GET /quick", "times": "FOREVER"})
    base = str(admin.base_url)

    async def timed(client: httpx.AsyncClient, url: str) -> tuple[int, float]:
        response = await client.get(url)
        return response.status_code, time.monotonic()

    async def fire() -> tuple[float, list[tuple[int, float]], list[tuple[int, float]]]:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
            start = time.monotonic()
            slow_calls = [timed(client, f"/mockhttp/{slow}/long") for _ in range(20)]
            fast_calls = [timed(client, f"/mockhttp/{fast}/quick") for _ in range(20)]
            results = await asyncio.gather(*slow_calls, *fast_calls)
            return start, results[:20], results[20:]

    start, slow_results, fast_results = asyncio.run(fire())
    assert {status for status, _ in slow_results + fast_results} == {200}
    slowest_fast = max(done for _, done in fast_results) - start
    first_slow = min(done for _, done in slow_results) - start
    last_slow = max(done for _, done in slow_results) - start
    assert first_slow >= 2.0, "a delayed reply came early"
    assert slowest_fast < first_slow - 1, f"plain requests waited {slowest_fast:.2f} s"
    assert last_slow - first_slow < 1.0, "the delays ran one after another, not at once"
    # 20 one after another would take 40 s: a second of slack for a loaded machine.
    assert last_slow < 3.0, f"20 delayed replies took {last_slow:.2f} s"
