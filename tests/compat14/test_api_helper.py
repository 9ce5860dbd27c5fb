"""``APIHelper``: 1.4's helper for raw HTTP calls, as its own tests and users' fakes use it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http.client import HTTPConnection
from typing import Any

import pytest

from pretenders.client import APIHelper
from pretenders.client.http import HTTPMock
from pretenders.server.embedded import EmbeddedServer


class FakeClient(APIHelper):
    """A fake client of a mock service, as 1.4's integration tests wrote it."""

    def get(self, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.http("GET", *args, url=f"{self.path}{url}", **kwargs)

    def post(self, url: str, *args: Any, **kwargs: Any) -> Any:
        return self.http("POST", *args, url=f"{self.path}{url}", **kwargs)


@pytest.fixture
def connect() -> Iterator[Callable[..., HTTPConnection]]:
    """Make HTTP connections, closed after the test."""
    made: list[HTTPConnection] = []

    def make(*args: Any) -> HTTPConnection:
        made.append(HTTPConnection(*args))
        return made[-1]

    yield make
    for connection in made:
        connection.close()


def test_a_fake_client_calls_the_mock_service(
    make_mock: Callable[..., HTTPMock], connect: Callable[..., HTTPConnection]
) -> None:
    mock = make_mock()
    mock.when("POST /orders", body="qty=2").reply(b"created", status=201)
    fake = FakeClient(connect(mock.pretend_access_point), mock.pretend_access_path)
    response, data = fake.post(url="/orders", body=b"qty=2")
    assert (response.status, data) == (201, b"created")
    response, data = fake.get(url="/orders?page=2", headers={"Accept": "text/plain"})
    assert response.status == 404
    assert data.startswith(b"No matching preset response")
    second = mock.get_request(1)
    assert second is not None
    assert (second.url, second.headers["Accept"]) == ("/orders?page=2", "text/plain")


def test_get_list_and_reset_on_the_boss(
    server: EmbeddedServer,
    make_mock: Callable[..., HTTPMock],
    connect: Callable[..., HTTPConnection],
) -> None:
    mock = make_mock()
    mock.reply(b"any", times=3)
    fake = FakeClient(connect(mock.pretend_access_point), mock.pretend_access_path)
    fake.get(url="/a")
    fake.post(url="/b")
    history = APIHelper(
        connect(server.host, server.port), f"/history/{mock.pretend_access_point_id}"
    )
    response, data = history.get(1)
    assert (response.status, json.loads(data)["url"]) == (200, "/b")
    response, data = history.list({"method": "post"})
    assert [r["url"] for r in json.loads(data)] == ["/b"]
    response, data = history.reset()
    assert (response.status, data) == (200, b"")
    assert json.loads(history.list()[1]) == []


def test_it_sends_again_on_a_connection_it_could_not_use(
    make_mock: Callable[..., HTTPMock], connect: Callable[..., HTTPConnection]
) -> None:
    mock = make_mock()
    mock.reply(b"any", times=2)
    connection = connect(mock.pretend_access_point)
    fake = FakeClient(connection, mock.pretend_access_path)
    connection.request("GET", f"{mock.pretend_access_path}/unread")
    # The answer to that request was never read: http.client refuses another request on
    # this connection (CannotSendRequest), and the helper reconnects, as 1.4's did.
    response, data = fake.get(url="/second")
    assert (response.status, data) == (200, b"any")
    assert [r.url for r in mock.get_request()] == ["/unread", "/second"]
