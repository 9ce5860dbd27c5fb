"""The UI under --history-limit: a note says what was dropped, and links stay stable."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import Registry
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.mocks import MockService
from pretenders.server.store.memory import MemoryStore
from pretenders.server.ui.live import encode_event
from tests.ui.conftest import SmtpMockInfo, send_mail

LIMIT = 3


@pytest.fixture(scope="module")
def limited() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(history_limit=LIMIT) as server:
        yield server


@pytest.fixture
def client(limited: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited.url, timeout=10) as client:
        yield client


@pytest.fixture
def flooded(client: httpx.Client) -> Iterator[str]:
    mock_id = client.post("/http", json={"name": "flooded"}).json()["id"]
    for n in range(5):
        client.get(f"/mockhttp/{mock_id}/{n}")
    yield mock_id
    client.delete(f"/http/{mock_id}")


def test_mock_page_notes_the_dropped_requests(client: httpx.Client, flooded: str) -> None:
    page = client.get(f"/ui/http/{flooded}").text
    assert (
        '<p class="alert note" role="note" data-note="dropped">2 older requests were dropped '
        "by --history-limit: this server keeps the newest 3 of each mock (5 received since "
        "the last reset).</p>"
    ) in page
    assert [f'data-index="{n}"' in page for n in range(5)] == [False, False, True, True, True]


def test_request_pages_keep_their_numbers(client: httpx.Client, flooded: str) -> None:
    page = client.get(f"/ui/http/{flooded}/requests/2")
    assert page.status_code == 200
    assert "Request 2 of 5" in page.text
    assert '<code class="url">/2</code>' in page.text
    assert 'rel="prev"' not in page.text, "no link to a dropped request"
    dropped = client.get(f"/ui/http/{flooded}/requests/1")
    assert dropped.status_code == 404
    assert "Record 1 of flooded was dropped by --history-limit" in dropped.text
    client.get(f"/mockhttp/{flooded}/5")  # pushes out /2: number 3 is still /3
    after = client.get(f"/ui/http/{flooded}/requests/3").text
    assert "Request 3 of 6" in after and '<code class="url">/3</code>' in after
    assert client.get(f"/ui/http/{flooded}/requests/2").status_code == 404


def test_no_note_without_drops(client: httpx.Client) -> None:
    mock_id = client.post("/http", json={}).json()["id"]
    client.get(f"/mockhttp/{mock_id}/only")
    assert 'data-note="dropped"' not in client.get(f"/ui/http/{mock_id}").text
    client.delete(f"/http/{mock_id}")


def test_smtp_page_notes_the_dropped_mails(client: httpx.Client) -> None:
    created = client.post("/smtp", json={}).json()
    mock = SmtpMockInfo(created["id"], "127.0.0.1", int(created["full_host"].rsplit(":", 1)[1]))
    for n in range(LIMIT + 1):
        send_mail(mock, f"Subject: mail {n}\r\n\r\nhi".encode())
    page = client.get(f"/ui/smtp/{mock.id}").text
    assert "1 older mail was dropped by --history-limit" in page
    assert client.get(f"/ui/smtp/{mock.id}/mails/0").status_code == 404
    assert "Mail 3 of 4" in client.get(f"/ui/smtp/{mock.id}/mails/3").text
    client.delete(f"/smtp/{mock.id}")


def test_live_rows_are_numbered_like_the_page() -> None:
    async def scenario() -> list[bytes]:
        mocks = MockService(MemoryStore(Registry(history_limit=2), regex_timeout=1.0))
        mock, _ = await mocks.store.create_or_join("http", "live", "default")
        records = [
            RequestRecord(method="GET", url=f"/{n}", headers=(), body=b"", time=0.0)
            for n in range(4)
        ]
        for record in records:
            await mocks.add_to_history(mock, record)
        # The live feed encodes rows after they arrived: later records must not shift them.
        return [await encode_event(mocks, mock, seq, records[seq]) for seq in (2, 3)]

    # On a thread of its own: Playwright may hold an event loop on this one.
    with ThreadPoolExecutor(1) as executor:
        events = executor.submit(asyncio.run, scenario()).result(timeout=10)
    rows = [json.loads(event.split(b"data: ", 1)[1])["row"] for event in events]
    assert [row["index"] for row in rows] == [2, 3]
    assert rows[0]["href"].endswith("/requests/2")
    assert rows[1]["href"].endswith("/requests/3")
