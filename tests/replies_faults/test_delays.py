"""Delays drawn from a distribution: recorded in history, repeatable with a seed, the
log-normal's median where it was asked, and bad ones refused naming the field."""

from __future__ import annotations

import random
import socket
import statistics
import time
from collections.abc import Callable

import httpx
import pytest

from pretenders.server.core.delays import MAX_DELAY, Delay, DelaySpec, LogNormalSpec
from pretenders.server.embedded import EmbeddedServer
from tests.replies_faults.helpers import add, preset, raw_get, task_count
from tests.waiting import wait_until

MEDIAN, SIGMA, REQUESTS = 0.05, 0.5, 30
EARLY = 0.02
"""Seconds a timer may fire before its time (clock granularity); never a speed bound."""


def _delays(admin: httpx.Client, mock_id: str) -> list[float]:
    return [record["delay"] for record in admin.get(f"/history/{mock_id}").json()]


def test_the_lognormal_median_is_where_it_was_asked(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    delay = {"lognormal": {"median": MEDIAN, "sigma": SIGMA}}
    add(admin, mock_id, rule="GET /api", body="ok", delay=delay, times="FOREVER")
    waited = []
    for _ in range(REQUESTS):
        started = time.monotonic()
        assert admin.get(f"/mockhttp/{mock_id}/api").text == "ok"
        waited.append(time.monotonic() - started)
    drawn = _delays(admin, mock_id)
    assert len(drawn) == REQUESTS
    for seconds, took in zip(drawn, waited, strict=True):
        assert took >= seconds - EARLY, f"answered after {took:.3f} s, drew {seconds:.3f} s"
    # The sample median of 30 draws: log(median) has a standard error of about
    # 1.25 * sigma / sqrt(30) = 0.11; a factor of 1.6 either way is over 4 of them.
    assert MEDIAN / 1.6 < statistics.median(drawn) < MEDIAN * 1.6, drawn
    assert len(set(drawn)) == REQUESTS, "the delays were not drawn afresh"


def test_a_seed_makes_the_draws_repeatable(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    delay = {"uniform": [0.01, 0.03], "seed": 7}
    add(admin, mock_id, rule="GET /a", delay=delay, times=3)
    add(admin, mock_id, rule="GET /b", delay=delay, times=3)
    for path in ["a", "b"] * 3:
        assert admin.get(f"/mockhttp/{mock_id}/{path}").status_code == 200
    drawn = _delays(admin, mock_id)
    expected = random.Random(7)
    wanted = [expected.uniform(0.01, 0.03) for _ in range(3)]
    assert drawn[0::2] == wanted
    assert drawn[1::2] == wanted


def test_a_fixed_delay_is_recorded(admin: httpx.Client, new_mock: Callable[..., str]) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /x", delay={"fixed": 0.03}, status=202)
    started = time.monotonic()
    assert admin.get(f"/mockhttp/{mock_id}/x").status_code == 202
    assert time.monotonic() - started >= 0.03 - EARLY
    (record,) = admin.get(f"/history/{mock_id}").json()
    assert (record["delay"], record["status"], record["fault"]) == (0.03, 202, None)


def test_after_alone_records_no_drawn_delay(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /x", after=0.01)
    assert admin.get(f"/mockhttp/{mock_id}/x").status_code == 200
    assert _delays(admin, mock_id) == [None]


def test_draws_stay_within_their_bounds() -> None:
    uniform = Delay(DelaySpec(uniform=(0.2, 0.4), seed=1))
    assert all(0.2 <= uniform.draw() <= 0.4 for _ in range(1000))
    wild = Delay(DelaySpec(lognormal=LogNormalSpec(median=3000, sigma=5), seed=1))
    assert max(wild.draw() for _ in range(1000)) == MAX_DELAY
    assert Delay(DelaySpec(lognormal=LogNormalSpec(median=0, sigma=1))).draw() == 0


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"delay": {"fixed": 1}, "after": 1}, "delay", '"after" (a fixed delay) or "delay"'),
        ({"delay": {}}, "delay", "exactly one of"),
        ({"delay": {"fixed": 1, "uniform": [0, 1]}}, "delay", "got fixed, uniform"),
        ({"delay": {"fixed": MAX_DELAY + 1}}, "delay.fixed", "from 0 to 3600"),
        ({"delay": {"fixed": -1}}, "delay.fixed", "from 0 to 3600"),
        ({"delay": {"uniform": [2, 1]}}, "delay.uniform", "low <= high"),
        ({"delay": {"uniform": [1]}}, "delay.uniform", "Expected `array` of length 2"),
        (
            {"delay": {"lognormal": {"median": 0.1, "sigma": 9}}},
            "delay.lognormal.sigma",
            "from 0 to 5",
        ),
        (
            {"delay": {"lognormal": {"median": 1e9, "sigma": 1}}},
            "delay.lognormal.median",
            "from 0 to 3600",
        ),
        ({"delay": {"lognormal": {"median": 0.1}}}, "delay.lognormal", "`sigma`"),
        ({"delay": {"normal": 1}}, "delay", "unknown field `normal`"),
        ({"delay": 0.5}, "delay", "Expected `object | null`"),
    ],
)
def test_a_bad_delay_is_a_400_naming_the_field(
    admin: httpx.Client,
    new_mock: Callable[..., str],
    fields: dict[str, object],
    field: str,
    words: str,
) -> None:
    mock_id = new_mock()
    answer = preset(admin, mock_id, rule="GET /x", **fields)
    assert answer.status_code == 400, answer.text
    (error,) = answer.json()["errors"]
    assert error["field"] == field
    assert words in error["message"]


def test_a_client_that_leaves_cancels_the_drawn_delay(own_server: EmbeddedServer) -> None:
    with httpx.Client(base_url=own_server.url, timeout=10) as admin:
        mock_id = admin.post("/http", json={}).json()["id"]
        add(admin, mock_id, rule="GET /never", delay={"uniform": [3000, 3600]}, times=5)
        before = task_count(own_server)
        clients = [socket.create_connection(("127.0.0.1", own_server.port)) for _ in range(5)]
        try:
            for client in clients:
                client.sendall(raw_get(f"/mockhttp/{mock_id}/never"))
            wait_until(lambda: len(admin.get(f"/history/{mock_id}").json()) == 5, timeout=10)
            assert task_count(own_server) >= before + 5, "the replies were not under way"
        finally:
            for client in clients:
                client.close()
        wait_until(lambda: task_count(own_server) <= before, timeout=10)
        assert all(3000 <= d <= 3600 for d in _delays(admin, mock_id))
