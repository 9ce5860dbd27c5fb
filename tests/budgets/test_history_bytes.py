"""--history-bytes over real sockets: the server's oldest records go first, counted."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from pretenders.client.http import HTTPMock
from pretenders.server.core.records import RECORD_OVERHEAD
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.server import parse_args, settings_from
from pretenders.server.settings import DEFAULT_HISTORY_BYTES

BODY = 1000
"""Each request's body: with its URL and headers, a little over 1,000 bytes."""
BUDGET = 5 * (BODY + RECORD_OVERHEAD + 200)
"""Room for five such requests, not six."""


@pytest.fixture(scope="module")
def budgeted() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(history_bytes=BUDGET) as server:
        yield server


@pytest.fixture
def client(budgeted: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=budgeted.url, timeout=10) as client:
        yield client
        for kind in ("http", "smtp"):
            for mock in client.get(f"/{kind}").json():
                client.delete(f"/{kind}/{mock['name']}")


def new_mock(client: httpx.Client) -> str:
    return str(client.post("/http", json={}).json()["id"])


def test_the_oldest_records_of_the_whole_server_are_dropped_and_counted(
    client: httpx.Client,
) -> None:
    early, late = new_mock(client), new_mock(client)
    for n in range(3):
        client.post(f"/mockhttp/{early}/{n}", content=b"e" * BODY)
    for n in range(4):
        client.post(f"/mockhttp/{late}/{n}", content=b"l" * BODY)

    # Seven requests, room for five: the two oldest of the server, both the early mock's.
    kept = client.get(f"/history/{early}")
    assert [r["url"] for r in kept.json()] == ["/2"]
    assert (kept.headers["X-Pretenders-Total"], kept.headers["X-Pretenders-Dropped"]) == (
        "3",
        "2",
    )
    assert client.get(f"/stats/{early}").json() == {
        "total": 3,
        "kept": 1,
        "dropped": 2,
        "limit": 250_000,
    }
    assert client.get(f"/stats/{late}").json()["dropped"] == 0
    assert client.post(f"/count/{early}", json={}).json() == {"count": 1, "dropped": 2}
    missing = client.get(f"/history/{early}/-2")
    assert missing.status_code == 404
    assert "2 older records were dropped by --history-limit or --history-bytes" in missing.text


def test_the_clients_see_the_drops(budgeted: EmbeddedServer, client: httpx.Client) -> None:
    mock = HTTPMock(budgeted.host, budgeted.port)
    try:
        for n in range(7):
            httpx.post(f"{mock.pretend_url}/{n}", content=b"c" * BODY)
        stats = mock.history_stats()
        assert (stats.total, stats.kept, stats.dropped) == (7, 5, 2)
        oldest = mock.get_request(0)
        assert oldest is not None and oldest.url == "/2"
    finally:
        mock.close()


def test_a_reset_or_a_deleted_mock_gives_its_bytes_back(client: httpx.Client) -> None:
    hoarder, other = new_mock(client), new_mock(client)
    for n in range(5):
        client.post(f"/mockhttp/{hoarder}/{n}", content=b"h" * BODY)
    client.delete(f"/http/{hoarder}")
    for n in range(5):
        client.post(f"/mockhttp/{other}/{n}", content=b"o" * BODY)
    assert client.get(f"/stats/{other}").json()["dropped"] == 0


def test_a_request_larger_than_the_whole_budget_is_kept_alone(client: httpx.Client) -> None:
    mock_id = new_mock(client)
    client.post(f"/mockhttp/{mock_id}/small", content=b"s")
    client.post(f"/mockhttp/{mock_id}/huge", content=b"h" * (BUDGET * 2))

    history = client.get(f"/history/{mock_id}")
    assert [r["url"] for r in history.json()] == ["/huge"]
    assert history.headers["X-Pretenders-Dropped"] == "1"
    client.post(f"/mockhttp/{mock_id}/next", content=b"n")
    assert [r["url"] for r in client.get(f"/history/{mock_id}").json()] == ["/next"]


def test_mails_share_the_budget(client: httpx.Client) -> None:
    created = client.post("/smtp", json={}).json()
    host, port = created["full_host"].rsplit(":", 1)
    for n in range(7):
        message = EmailMessage()
        message["Subject"] = f"mail {n}"
        message.set_content("m" * BODY)
        with smtplib.SMTP(host, int(port), timeout=10) as smtp:
            smtp.send_message(message, "a@example.com", ["b@example.com"])
    stats = client.get(f"/stats/{created['id']}").json()
    assert stats["total"] == 7 and stats["dropped"] >= 2 and stats["kept"] >= 1
    kept = [m["data"] for m in client.get(f"/history/{created['id']}").json()]
    assert "Subject: mail 6" in kept[-1] and not any("Subject: mail 0" in m for m in kept)


def test_the_option_takes_bytes_and_zero_for_no_limit() -> None:
    assert settings_from(parse_args([])).history_bytes == DEFAULT_HISTORY_BYTES
    assert settings_from(parse_args(["--history-bytes", "1048576"])).history_bytes == 1048576
    assert settings_from(parse_args(["--history-bytes", "0"])).history_bytes is None
    with pytest.raises(SystemExit):
        parse_args(["--history-bytes", "-1"])
