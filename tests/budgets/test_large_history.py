"""A 250,000-record history read back, page by page and whole, while another mock answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from pretenders.server.core.records import RequestRecord
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.state import STATE

RECORDS = 250_000
PAGE = 5_000
STALL = 2.0
"""The longest another mock may take to answer meanwhile, in seconds. Answers take a few
milliseconds on an idle machine, and under 0.15 s with this test's own threads; the
bound leaves room for a busy CI host (answers of 0.5 s were seen on 2 cores shared by
several test runs). A read that held the loop would pass it: one GET /history of this
mock froze the server 4.4 s before paging and streaming. Each check also asks that no
answer waited a third of the whole read, which a read holding the loop could not meet."""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def filled() -> Iterator[tuple[EmbeddedServer, str]]:
    """A server whose mock "big" holds 250,000 small records, put there in-process."""
    with EmbeddedServer() as server:
        httpx.post(f"{server.url}/http", json={"name": "big"})
        httpx.post(f"{server.url}/http", json={"name": "other"})
        httpx.post(f"{server.url}/preset/other", json={"rule": "GET /ping", "times": "FOREVER"})

        async def fill(start: int, stop: int) -> None:
            mocks = server.app[STATE].mocks
            mock = await mocks.get("http", "big")
            headers = (("Host", "127.0.0.1"), ("User-Agent", "test"))
            for n in range(start, stop):
                record = RequestRecord("GET", f"/{n}", headers, b"", 0.0, status=404)
                await mocks.add_to_history(mock, record)

        for start in range(0, RECORDS, 50_000):
            server.await_in_loop(lambda start=start: fill(start, start + 50_000))  # type: ignore[misc]
        yield server, "big"


class Prober:
    """Asks another mock for /ping in a loop, from its own thread, noting the slowest answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.slowest = 0.0
        self.answers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + 120  # bounded whatever happens
            while not self._stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                assert client.get(self.url).status_code == 200
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.answers += 1
                self._stop.wait(0.01)  # pace the probes: they share the CPU with the read

    def check(self, reading: float) -> None:
        """Another mock answered throughout a read that took ``reading`` seconds."""
        assert self.answers > 0
        bound = min(STALL, reading / 3)
        assert self.slowest < bound, (
            f"another mock waited {self.slowest:.2f} s during a read of {reading:.2f} s"
        )

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(30)


def test_read_page_by_page_while_another_mock_answers(
    filled: tuple[EmbeddedServer, str],
) -> None:
    server, mock_id = filled
    seen = 0
    offset: str | None = "0"
    started = time.monotonic()
    with (
        httpx.Client(base_url=server.url, timeout=60) as reader,
        Prober(f"{server.url}/mockhttp/other/ping") as prober,
    ):
        while offset is not None:
            page = reader.get(f"/history/{mock_id}", params={"offset": offset, "limit": PAGE})
            records = page.json()
            assert records[0]["url"] == f"/{seen}"
            seen += len(records)
            offset = page.headers.get("X-Pretenders-Next-Offset")
            assert page.headers["X-Pretenders-Total"] == str(RECORDS)
    assert seen == RECORDS
    prober.check(time.monotonic() - started)


def test_read_whole_as_a_stream_while_another_mock_answers(
    filled: tuple[EmbeddedServer, str],
) -> None:
    server, mock_id = filled
    with (
        httpx.Client(base_url=server.url, timeout=60) as reader,
        Prober(f"{server.url}/mockhttp/other/ping") as prober,
    ):
        started = time.monotonic()
        answer = reader.get(f"/history/{mock_id}")
        prober.check(time.monotonic() - started)
    # Decoded once the prober stopped: this process also runs the server, and decoding
    # 250,000 records at once holds the interpreter for a second.
    records = json.loads(answer.content)
    assert len(records) == RECORDS
    assert (records[0]["url"], records[-1]["url"]) == ("/0", f"/{RECORDS - 1}")
    assert answer.headers["Transfer-Encoding"] == "chunked"


def test_a_filtered_page_deep_in_the_history(filled: tuple[EmbeddedServer, str]) -> None:
    server, mock_id = filled
    page = httpx.get(
        f"{server.url}/history/{mock_id}",
        params={"url": "^/24999[0-9]$", "limit": 5},
        timeout=60,
    )
    assert [r["url"] for r in page.json()] == [f"/24999{n}" for n in range(5)]
    assert page.headers["X-Pretenders-Next-Offset"] == "5"
