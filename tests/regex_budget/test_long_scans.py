"""Work that grows with the number of records or presets gives the loop back, or stops."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from pretenders.common.constants import FOREVER
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.near_miss import compare_presets, explain_miss
from pretenders.server.core.presets import PresetQueue, Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.scanning import select
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.state import STATE


def test_a_scan_lets_other_tasks_run_between_its_slices() -> None:
    async def scenario() -> tuple[list[int], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        running = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = ticks

        def slow(number: int) -> bool:
            time.sleep(0.0005)  # 200 items: 100 ms at least, 20 slices of 5 ms
            return number % 3 == 0

        found = await select(range(200), slow)
        running.cancel()
        return found, ticks - before

    found, ticks = asyncio.run(scenario())
    assert found == list(range(0, 200, 3))
    assert ticks >= 10, "the other task ran while the scan went on"


def test_near_misses_stop_at_their_budget_and_say_how_many_were_compared() -> None:
    queue = PresetQueue()
    for number in range(3):
        queue.add(MatchRule(f"(GET|PUT) /item/{number}$"), Reply(), FOREVER)
    record = RequestRecord("GET", "/nothing", (), b"", 0.0)

    comparison = compare_presets(queue, MatchSubject(record), budget=0)

    assert comparison.compared == 1, "the oldest preset is always compared"
    record.near_misses = comparison.misses
    lines = explain_miss(record, len(queue), "m", comparison.compared).splitlines()
    assert lines[1] == "Closest 1 of the first 1 of 3 presets (comparing stops after 50 ms):"
    assert lines[2].startswith('1. preset 0 "(GET|PUT) /item/0$"')


def test_five_thousand_presets_are_not_all_compared() -> None:
    queue = PresetQueue()
    for number in range(5_000):
        queue.add(MatchRule(f"(GET|PUT) /item/{number}$"), Reply(), FOREVER)
    subject = MatchSubject(RequestRecord("GET", "/nothing", (), b"", 0.0))
    assert queue.take(subject) is None
    comparison = compare_presets(queue, subject)
    assert 0 < comparison.compared < 5_000
    assert len(comparison.misses) == 3


class RawProbe:
    """Asks for /health over a raw keep-alive socket in a loop, noting when each answer
    came (little Python work per probe, so it competes little with the server thread)."""

    REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    def __init__(self, port: int) -> None:
        self.port = port
        self.answered: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
            ends = time.monotonic() + 60
            while not self._stop.is_set() and time.monotonic() < ends:
                connection.sendall(self.REQUEST)
                received = b""
                while not received.endswith(b'{"status":"ok"}'):
                    chunk = connection.recv(4096)
                    if not chunk:
                        return
                    received += chunk
                self.answered.append(time.monotonic())

    def __enter__(self) -> RawProbe:
        self._thread.start()
        ends = time.monotonic() + 10
        while not self.answered and time.monotonic() < ends:
            time.sleep(0.001)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(35)


@pytest.mark.slow
def test_count_over_a_long_history_lets_the_server_answer_meanwhile(
    server: EmbeddedServer, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()

    async def fill() -> None:
        mocks = server.app[STATE].mocks
        mock = await mocks.get("http", mock_id)
        for number in range(200_000):
            await mocks.add_to_history(mock, RequestRecord("GET", f"/item/{number}", (), b"", 0.0))

    # 200,000 requests over HTTP would take minutes: the records are put in place directly,
    # on the server's loop.
    server.await_in_loop(fill, timeout=60)

    with RawProbe(server.port) as probe:
        started = time.monotonic()
        answer = admin.post(f"/count/{mock_id}", json={"rule": "GET /item/[0-9]*7$"})
        ended = time.monotonic()

    assert answer.json() == {"count": 20_000, "dropped": 0}
    during = [moment for moment in probe.answered if started < moment < ended]
    assert len(during) >= 3, "/health answered while the count went on"
