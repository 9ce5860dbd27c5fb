"""A mock on a port of its own: served at ``/`` like ``/mockhttp/<id>``, closed with it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import httpx
import pytest
import requests

from pretenders.client.aio import AsyncHTTPMock
from pretenders.client.http import HTTPMock
from pretenders.common.constants import FOREVER
from tests.deployments.matrix import Deployed
from tests.network_ports.helpers import refused, wait_refused
from tests.waiting import wait_until

pytestmark = pytest.mark.deployments


def test_a_mock_on_its_own_port_is_served_at_the_root(
    make_mock: Callable[..., HTTPMock],
) -> None:
    mock = make_mock(own_port=0)
    assert mock.own_port is not None
    assert mock.pretend_url == f"http://{mock.host}:{mock.own_port}"
    assert mock.pretend_access_path == ""
    mock.when("GET /hello").reply("hi", times=FOREVER)

    assert httpx.get(mock.pretend_url + "/hello").text == "hi"
    assert requests.get(mock.pretend_url + "/hello", timeout=10).text == "hi"
    missed = httpx.get(mock.pretend_url + "/nothing?x=1")
    assert missed.status_code == 404
    assert "GET /hello" in missed.text  # the near miss, as below /mockhttp/

    recorded = mock.get_request()
    assert [r.url for r in recorded] == ["/hello", "/hello", "/nothing?x=1"]
    # The same mock answers below /mockhttp/ too.
    prefixed = f"http://{mock.host}:{mock.port}{mock.pretender_details['path']}/hello"
    assert httpx.get(prefixed).text == "hi"


def test_the_created_answer_and_the_description_give_the_address(
    admin: httpx.Client,
) -> None:
    created = admin.post("/http", json={"port": 0}).json()
    try:
        assert created["url"].startswith("http://127.0.0.1:")
        assert admin.get(f"/http/{created['id']}").json()["url"] == created["url"]
        # A mock without a port of its own keeps 1.4's exact answers.
        plain = admin.post("/http", json={}).json()
        assert set(plain) == {"id", "path"}
        assert set(admin.get(f"/http/{plain['id']}").json()) == {
            "name",
            "protocol",
            "start",
            "last_call",
            "timeout",
        }
        admin.delete(f"/http/{plain['id']}")
    finally:
        admin.delete(f"/http/{created['id']}")


def test_waits_and_counts_see_own_port_requests(
    make_mock: Callable[..., HTTPMock],
) -> None:
    mock = make_mock(own_port=0)
    mock.when("POST /orders").reply(status=201, times=FOREVER)
    assert httpx.post(mock.pretend_url + "/orders", json={"id": 1}).status_code == 201
    assert [r.url for r in mock.wait_for_request(method="POST", path="/orders")] == ["/orders"]


def test_any_method_token_and_the_body_limit_hold_on_an_own_port(
    make_mock: Callable[..., HTTPMock], server: Deployed
) -> None:
    mock = make_mock(own_port=0)
    mock.when("BREW /pot").reply("short and stout")
    assert mock.own_port is not None
    with socket.create_connection(("127.0.0.1", mock.own_port), timeout=10) as raw:
        raw.sendall(b"BREW /pot HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"short and stout")
    too_large = httpx.post(mock.pretend_url + "/up", content=b"x" * 2_000_000)
    assert too_large.status_code == (413 if server.settings.max_body_size < 2_000_000 else 404)


def test_the_port_closes_when_the_mock_is_deleted(admin: httpx.Client) -> None:
    created = admin.post("/http", json={"port": 0}).json()
    assert httpx.get(created["url"] + "/").status_code == 404
    assert admin.delete(f"/http/{created['id']}").status_code == 200
    wait_refused(created["url"])


def test_the_port_closes_when_the_mock_expires(admin: httpx.Client) -> None:
    created = admin.post("/http", json={"port": 0, "pretender_timeout": 0.5}).json()
    assert not refused(created["url"])
    wait_refused(created["url"], timeout=15)
    wait_until(lambda: admin.get(f"/http/{created['id']}").status_code == 404, timeout=10)


def test_a_port_in_use_is_a_409_naming_it(admin: httpx.Client) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        answer = admin.post("/http", json={"port": port})
    assert answer.status_code == 409
    error = answer.json()["errors"][0]
    assert error["field"] == "port"
    assert f"port {port} on 127.0.0.1 is in use" in error["message"]
    assert "0 for a free one" in error["message"]


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"port": 70000}, "port", "0 (a free port) to 65535"),
        ({"port": -1}, "port", "0 (a free port) to 65535"),
        ({"port": "eighty"}, "port", "Expected `int | null`"),
        ({"tls": True}, "tls", "tls needs a port of its own"),
        ({"port": 0, "client_cert": "required"}, "client_cert", 'needs "tls": true'),
        (
            {"port": 0, "tls": True, "client_cert": "maybe"},
            "client_cert",
            '"required" or "optional"',
        ),
        ({"hosts": ["bad host!"]}, "hosts", "is not a host name"),
        ({"hosts": ["a" * 300]}, "hosts", "is not a host name"),
        ({"hosts": [f"h{n}.example.com" for n in range(101)]}, "hosts", "at most 100"),
    ],
)
def test_bad_own_port_options_are_a_400_naming_the_field(
    admin: httpx.Client, payload: dict[str, object], field: str, words: str
) -> None:
    answer = admin.post("/http", json=payload)
    assert answer.status_code == 400, answer.text
    error = answer.json()["errors"][0]
    assert error["field"] == field
    assert words in error["message"]


def test_an_smtp_mock_takes_no_port_option(admin: httpx.Client) -> None:
    answer = admin.post("/smtp", json={"port": 0})
    assert answer.status_code == 400
    assert "port" in answer.json()["errors"][0]["message"]


def test_the_async_client_makes_own_port_mocks(server: Deployed) -> None:
    async def scenario() -> str:
        async with AsyncHTTPMock(server.host, server.port, own_port=0) as mock:
            try:
                await mock.when("GET /a").reply("async")
                async with httpx.AsyncClient() as client:
                    assert (await client.get(mock.pretend_url + "/a")).text == "async"
            finally:
                await mock.delete_mock()
        return mock.pretend_url

    wait_refused(asyncio.run(scenario()))


def test_the_ui_lists_the_own_port_address(admin: httpx.Client, server: Deployed) -> None:
    created = admin.post("/http", json={"port": 0}).json()
    try:
        with httpx.Client(base_url=server.url, headers={"Origin": server.url}) as ui:
            assert f'<code class="url">{created["url"]}</code>' in ui.get("/").text
    finally:
        admin.delete(f"/http/{created['id']}")
