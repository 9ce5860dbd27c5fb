"""--max-mocks over real sockets: one more mock is a 409 naming the option."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import ConfigurationError
from pretenders.server.embedded import EmbeddedServer
from tests.ui.conftest import csrf_tokens

MESSAGE = (
    "this server already has 2 live mocks, its limit: delete some (DELETE /http/<id> or "
    "/smtp/<id>; DELETE /http?stale=1 removes idle ones) or start the server with a higher "
    "--max-mocks"
)


@pytest.fixture
def full() -> Iterator[httpx.Client]:
    """A server at its limit of two mocks: HTTP "a" and SMTP "b"."""
    with EmbeddedServer(max_mocks=2) as server, httpx.Client(base_url=server.url) as client:
        assert client.post("/http", json={"name": "a"}).status_code == 200
        assert client.post("/smtp", json={"name": "b"}).status_code == 200
        yield client


def test_one_more_mock_is_refused_with_the_option_to_raise(full: httpx.Client) -> None:
    for protocol in ("http", "smtp"):
        refused = full.post(f"/{protocol}", json={})
        assert refused.status_code == 409
        assert refused.json() == {
            "errors": [{"code": "too_many_mocks", "message": MESSAGE, "field": None}]
        }


def test_joining_an_existing_mock_still_works(full: httpx.Client) -> None:
    assert full.post("/http", json={"name": "a"}).json()["id"] == "a"
    assert full.post("/smtp", json={"name": "b"}).json()["id"] == "b"


def test_deleting_a_mock_makes_room(full: httpx.Client) -> None:
    full.delete("/http/a")
    assert full.post("/http", json={"name": "c"}).status_code == 200


def test_the_clients_raise_the_message(full: httpx.Client) -> None:
    host, port = full.base_url.host, full.base_url.port
    assert port is not None
    with pytest.raises(ConfigurationError) as refused:
        HTTPMock(host, port)
    assert str(refused.value) == MESSAGE
    with pytest.raises(ConfigurationError, match="higher --max-mocks"):
        SMTPMock(host, port)
    with HTTPMock(host, port, name="a") as joined:
        assert joined.pretend_access_point_id == "a"


def test_the_ui_form_shows_the_message(full: httpx.Client) -> None:
    action = "/ui/mocks"
    token = csrf_tokens(full.get("/").text)[action]
    refused = full.post(
        action,
        data={"csrf_token": token, "protocol": "http", "name": ""},
        headers={"Origin": str(full.base_url).rstrip("/")},
    )
    assert refused.status_code == 409
    assert "higher --max-mocks" in refused.text


def test_the_default_limit() -> None:
    from pretenders.server.settings import Settings

    assert Settings().max_mocks == 10_000
