"""Live updates: server-sent events for each new record, bounded, ended on shutdown."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.ui.live import CLOSED, HEARTBEAT, OVERFLOW, Subscriber
from tests.ui.conftest import SmtpMockInfo, send_mail


def run_alone(scenario: Callable[[], Coroutine[None, None, None]]) -> None:
    """Run a coroutine on its own loop in its own thread (Playwright may hold this thread's)."""
    with ThreadPoolExecutor(1) as executor:
        executor.submit(asyncio.run, scenario()).result(timeout=10)


def events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event name, data) pairs from an event stream's lines."""
    name, data = "message", ""
    for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif not line and data:
            yield name, data
            name, data = "message", ""


def subscribed(lines: Iterator[str]) -> None:
    """Read the stream's opening ``retry:`` line: from then on, this client gets every event."""
    assert next(lines).startswith("retry: ")


def test_a_new_request_is_pushed_to_the_pages_watching_its_mock(
    server: EmbeddedServer, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mine, other = new_mock(), new_mock()
    admin.post(f"/preset/{mine}", json={"rule": "POST /pay", "body": "", "status": 201})
    with (
        httpx.Client(base_url=server.url, timeout=10) as browser,
        browser.stream("GET", "/ui/events", params={"mock": mine}) as stream,
    ):
        assert stream.headers["Content-Type"] == "text/event-stream"
        lines = stream.iter_lines()
        subscribed(lines)
        admin.get(f"/mockhttp/{other}/not-for-this-page")
        admin.post(f"/mockhttp/{mine}/pay?x=1", content=b"{}")

        name, data = next(events(lines))

    event = json.loads(data)
    assert name == "record"
    assert event["mock"] == mine
    assert event["records"] == 1
    assert event["preset"] == {"id": "0", "gone": True}  # its one use is spent
    row = event["row"]
    assert row["url"] == "/pay?x=1"
    assert row["method"] == "POST"
    assert (row["status"], row["status_class"], row["served"]) == ("201", "s2", "preset 0")
    assert row["href"] == f"/ui/http/{mine}/requests/0"


def test_the_mocks_page_hears_about_every_mock(
    server: EmbeddedServer, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    first, second = new_mock(), new_mock()
    with (
        httpx.Client(base_url=server.url, timeout=10) as browser,
        browser.stream("GET", "/ui/events") as stream,
    ):
        lines = stream.iter_lines()
        subscribed(lines)
        admin.get(f"/mockhttp/{first}/a")
        admin.get(f"/mockhttp/{second}/b")
        received = events(lines)
        mocks = [json.loads(next(received)[1])["mock"] for _ in range(2)]

    assert mocks == [first, second]


def test_stopping_the_server_ends_open_streams_at_once() -> None:
    server = EmbeddedServer().start()
    opened, ended = threading.Event(), threading.Event()

    def watch() -> None:
        with (
            httpx.Client(base_url=server.url, timeout=30) as browser,
            browser.stream("GET", "/ui/events") as stream,
        ):
            lines = stream.iter_lines()
            subscribed(lines)
            opened.set()
            if next(events(lines))[0] == "closed":
                ended.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert opened.wait(10), "the stream never opened"

    started = time.monotonic()
    server.stop(timeout=10)

    assert time.monotonic() - started < 5  # not aiohttp's 60 s wait for open requests
    watcher.join(10)
    assert ended.is_set()


def test_a_page_that_falls_behind_is_cut_off_not_buffered_for() -> None:
    async def scenario() -> None:
        subscriber = Subscriber(mock_id=None, limit=3)
        accepted = [subscriber.offer(b"event %d" % n) for n in range(5)]

        assert accepted == [True, True, True, False, False]
        assert subscriber.closed
        assert await subscriber.take(timeout=1) == [OVERFLOW]

    run_alone(scenario)


def test_a_quiet_stream_gets_heartbeats_and_close_wakes_it() -> None:
    async def scenario() -> None:
        subscriber = Subscriber(mock_id="m", limit=10)
        assert await subscriber.take(timeout=0.01) == [HEARTBEAT]
        subscriber.offer(b"one")
        subscriber.close(CLOSED)
        assert await subscriber.take(timeout=1) == [CLOSED]

    run_alone(scenario)


def test_a_new_mail_is_pushed_with_its_subject_and_addresses(
    server: EmbeddedServer, smtp_mock: SmtpMockInfo
) -> None:
    with (
        httpx.Client(base_url=server.url, timeout=10) as browser,
        browser.stream("GET", "/ui/events", params={"mock": smtp_mock.id}) as stream,
    ):
        lines = stream.iter_lines()
        subscribed(lines)
        send_mail(smtp_mock, b"From: Ada <ada@example.com>\r\nSubject: Hi there\r\n\r\nHello\r\n")

        name, data = next(events(lines))

    event = json.loads(data)
    assert (name, event["protocol"], event["records"]) == ("record", "smtp", 1)
    row = event["row"]
    assert (row["subject"], row["sender"], row["recipients"]) == (
        "Hi there",
        "Ada <ada@example.com>",
        "rcpt@example.com",
    )
    assert row["href"] == f"/ui/smtp/{smtp_mock.id}/mails/0"
