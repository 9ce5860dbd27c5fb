"""--history-limit over real sockets: the oldest records go, and every answer says so."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer

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
    """An HTTP mock that received /0 ... /4: the first two were dropped."""
    mock_id = client.post("/http", json={}).json()["id"]
    for n in range(5):
        client.get(f"/mockhttp/{mock_id}/{n}")
    yield mock_id
    client.delete(f"/http/{mock_id}")


def test_history_keeps_the_newest_and_its_headers_say_how_many_went(
    client: httpx.Client, flooded: str
) -> None:
    response = client.get(f"/history/{flooded}")
    assert [r["url"] for r in response.json()] == ["/2", "/3", "/4"]
    assert response.headers["X-Pretenders-Total"] == "5"
    assert response.headers["X-Pretenders-Dropped"] == "2"


def test_filtered_history_still_reports_the_whole_history_s_totals(
    client: httpx.Client, flooded: str
) -> None:
    response = client.get(f"/history/{flooded}", params={"url": "/4"})
    assert [r["url"] for r in response.json()] == ["/4"]
    assert (response.headers["X-Pretenders-Total"], response.headers["X-Pretenders-Dropped"]) == (
        "5",
        "2",
    )


def test_positions_count_from_the_oldest_kept_record(client: httpx.Client, flooded: str) -> None:
    first = client.get(f"/history/{flooded}/0")
    assert first.json()["url"] == "/2"
    assert first.headers["X-Pretenders-Dropped"] == "2"
    assert client.get(f"/history/{flooded}/-1").json()["url"] == "/4"
    past = client.get(f"/history/{flooded}/3")
    assert past.status_code == 404
    assert past.json()["errors"][0]["message"] == (
        "No recorded request at position 3 (2 older records were dropped by "
        "--history-limit or --history-bytes; 0 is the oldest kept)"
    )


def test_count_answers_how_many_were_dropped(client: httpx.Client, flooded: str) -> None:
    assert client.post(f"/count/{flooded}", json={}).json() == {"count": 3, "dropped": 2}
    assert client.post(f"/count/{flooded}", json={"rule": "GET /0"}).json() == {
        "count": 0,
        "dropped": 2,
    }


def test_stats_route(client: httpx.Client, flooded: str) -> None:
    assert client.get(f"/stats/{flooded}").json() == {
        "total": 5,
        "kept": 3,
        "dropped": 2,
        "limit": LIMIT,
    }
    unknown = client.get("/stats/never-made")
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["code"] == "unknown_mock"


def test_reset_starts_the_counts_again(client: httpx.Client, flooded: str) -> None:
    client.delete(f"/history/{flooded}")
    client.get(f"/mockhttp/{flooded}/again")
    assert client.get(f"/stats/{flooded}").json() == {
        "total": 1,
        "kept": 1,
        "dropped": 0,
        "limit": LIMIT,
    }


def test_unknown_mock_history_is_still_an_empty_list_with_zero_totals(
    client: httpx.Client,
) -> None:
    response = client.get("/history/never-made")
    assert response.json() == []
    assert response.headers["X-Pretenders-Total"] == "0"


def test_the_cap_applies_to_mails_too(client: httpx.Client) -> None:
    created = client.post("/smtp", json={}).json()
    port = int(created["full_host"].rsplit(":", 1)[1])
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            for n in range(LIMIT + 1):
                message = EmailMessage()
                message["Subject"] = f"mail {n}"
                message.set_content("hello")
                smtp.send_message(message, "a@example.com", ["b@example.com"])
        response = client.get(f"/history/{created['id']}")
        assert [m["data"].split("Subject: ")[1].splitlines()[0] for m in response.json()] == [
            "mail 1",
            "mail 2",
            "mail 3",
        ]
        assert response.headers["X-Pretenders-Dropped"] == "1"
    finally:
        client.delete(f"/smtp/{created['id']}")


def test_default_limit_is_generous() -> None:
    with EmbeddedServer() as default, httpx.Client(base_url=default.url) as other:
        mock_id = other.post("/http", json={}).json()["id"]
        assert other.get(f"/stats/{mock_id}").json()["limit"] == 250_000


def test_the_openapi_document_describes_the_headers_and_stats(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/history/{id}", "/history/{id}/{position}"):
        headers = paths[path]["get"]["responses"]["200"]["headers"]
        assert {"X-Pretenders-Total", "X-Pretenders-Dropped"} <= set(headers)
    stats = paths["/stats/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert stats["schema"] == {"$ref": "#/components/schemas/HistoryStatsOut"}
