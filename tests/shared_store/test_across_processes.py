"""Two servers on one Redis, as two hosts behind a load balancer: what one process does, the
other sees: waits, the live UI, the UI's forms, expiry, SMTP mocks and their mail."""

from __future__ import annotations

import json
import smtplib
import threading
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.deployments.redis_server import RedisServer
from tests.ui.conftest import csrf_tokens
from tests.ui.test_live import events, subscribed
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedServer, ...]]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as redis:
        store = redis.url(2)
        with EmbeddedServer(store=store) as one, EmbeddedServer(store=store) as other:
            yield one, other


def _client(server: EmbeddedServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30)


def test_a_wait_on_one_process_wakes_on_a_request_served_by_the_other(
    pair: tuple[EmbeddedServer, ...],
) -> None:
    one, other = pair
    with _client(one) as first, _client(other) as second:
        assert first.post("/http", json={"name": "waited"}).status_code == 200
        first.post("/preset/waited", json={"rule": "GET /done", "times": "FOREVER"})
        answer: dict[str, httpx.Response] = {}
        waiting = threading.Thread(
            target=lambda: answer.setdefault(
                "wait", first.post("/wait/waited", json={"count": 2, "timeout": 20})
            )
        )
        waiting.start()
        assert second.get("/mockhttp/waited/done").status_code == 200
        assert second.get("/mockhttp/waited/done").status_code == 200
        waiting.join(25)
        response = answer["wait"]
        assert response.status_code == 200, response.text
        assert response.json()["met"] is True
        assert len(response.json()["requests"]) == 2


def test_the_live_page_of_one_process_shows_traffic_served_by_the_other(
    pair: tuple[EmbeddedServer, ...],
) -> None:
    one, other = pair
    with _client(one) as first, _client(other) as second:
        first.post("/http", json={"name": "watched"})
        with first.stream("GET", "/ui/events", params={"mock": "watched"}) as stream:
            lines = stream.iter_lines()
            subscribed(lines)
            assert second.post("/mockhttp/watched/pay", content=b"{}").status_code == 404
            name, data = next(events(lines))
    event = json.loads(data)
    assert name == "record"
    assert event["mock"] == "watched"
    assert event["row"]["url"] == "/pay"


def test_a_form_served_by_one_process_is_accepted_by_the_other(
    pair: tuple[EmbeddedServer, ...],
) -> None:
    one, other = pair
    with _client(one) as first, _client(other) as second:
        first.post("/http", json={"name": "formed"})
        page = "/ui/http/formed"
        token = csrf_tokens(first.get(page).text)[f"{page}/reset"]
        # Behind a load balancer both share one origin: the browser sends the one it posts to.
        reset = second.post(
            f"{page}/reset", data={"csrf_token": token}, headers={"Origin": other.url}
        )
        assert reset.status_code in (200, 303), reset.text


def test_a_mock_deleted_through_one_process_is_gone_in_the_other(
    pair: tuple[EmbeddedServer, ...],
) -> None:
    one, other = pair
    with _client(one) as first, _client(other) as second:
        first.post("/http", json={"name": "short-lived"})
        first.post("/preset/short-lived", json={"rule": "GET", "times": "FOREVER"})
        assert second.get("/mockhttp/short-lived/x").status_code == 200
        assert first.delete("/http/short-lived").status_code == 200
        gone = second.get("/mockhttp/short-lived/x")
        assert gone.status_code == 404
        assert "No matching http mock" in gone.text


def test_an_idle_mock_expires_once_for_every_process(pair: tuple[EmbeddedServer, ...]) -> None:
    one, other = pair
    with _client(one) as first, _client(other) as second:
        first.post("/http", json={"name": "idle", "pretender_timeout": 0.5})

        def names(client: httpx.Client) -> list[str]:
            return [mock["name"] for mock in client.get("/http").json()]

        assert "idle" in names(second)
        wait_until(lambda: "idle" not in names(first) and "idle" not in names(second), timeout=10)


def test_an_smtp_mock_listens_in_one_process_and_its_mail_is_read_through_the_other(
    pair: tuple[EmbeddedServer, ...],
) -> None:
    one, other = pair
    with _client(one) as first, _client(other) as second:
        created = first.post("/smtp", json={"name": "postbox"}).json()
        joined = second.post("/smtp", json={"name": "postbox"}).json()
        assert joined["full_host"] == created["full_host"]
        port = created["full_host"].rsplit(":", 1)[1]
        second.post("/preset/postbox", json={"stage": "rcpt", "match": "nobody@", "status": 550})
        message = EmailMessage()
        message["Subject"] = "across"
        message.set_content("hello")
        with smtplib.SMTP("127.0.0.1", int(port), timeout=10) as client:
            refused = client.sendmail(
                "a@example.com", ["nobody@example.com", "b@example.com"], message.as_string()
            )
        assert "nobody@example.com" in refused
        history = second.get("/history/postbox").json()
        assert len(history) == 1
        assert history[0]["rcpttos"] == ["b@example.com"]
