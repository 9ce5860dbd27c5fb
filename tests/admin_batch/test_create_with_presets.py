"""``POST /http`` with ``presets``: a mock and its presets in one round trip, over sockets,
on every deployment; all presets are checked before anything is created."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock
from pretenders.client.http import HTTPMock, when
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import ConfigurationError
from tests.deployments.matrix import Deployed

pytestmark = pytest.mark.deployments


def preset(rule: Any, body: bytes, **extra: Any) -> dict[str, Any]:
    return {"rule": rule, "body": base64.b64encode(body).decode(), **extra}


def test_presets_given_at_creation_are_served_in_order(admin: httpx.Client) -> None:
    created = admin.post(
        "/http",
        json={
            "presets": [
                preset("GET /a", b"first a", times=1),
                preset("GET /a", b"later a", times=FOREVER),
                preset({"method": "POST", "path": "/items/{id}"}, b"item", status=201),
            ]
        },
    )
    assert created.status_code == 200, created.text
    mock = created.json()
    try:
        listed = admin.get(f"/preset/{mock['id']}").json()
        assert [base64.b64decode(p["body"]) for p in listed] == [b"first a", b"later a", b"item"]
        path = mock["path"]
        assert admin.get(f"{path}/a").content == b"first a"
        assert admin.get(f"{path}/a").content == b"later a"
        posted = admin.post(f"{path}/items/7")
        assert (posted.status_code, posted.content) == (201, b"item")
    finally:
        admin.delete(f"/http/{mock['id']}")


def test_no_presets_is_the_1_4_call(admin: httpx.Client) -> None:
    bodies: list[dict[str, Any]] = [{}, {"presets": []}, {"presets": None}]
    for body in bodies:
        created = admin.post("/http", json=body)
        assert created.status_code == 200, created.text
        mock_id = created.json()["id"]
        assert admin.get(f"/preset/{mock_id}").json() == []
        admin.delete(f"/http/{mock_id}")


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        (preset("GET /(", b"x"), "presets[1].rule", "presets[1]"),
        (preset("GET /b", b"x", times=0), "presets[1].times", "times"),
        ({"rule": "GET /b", "body": "not base64!"}, "presets[1].body", "base64"),
        (preset("GET /b", b"x", status="teapot"), "presets[1].status", "must be a number"),
        (preset("GET /b", b"x", colour="red"), "presets[1]", "colour"),
    ],
)
def test_a_bad_preset_is_named_by_index_and_nothing_is_created(
    admin: httpx.Client, bad: dict[str, Any], field: str, words: str
) -> None:
    before = admin.get("/http").json()
    refused = admin.post(
        "/http", json={"name": "batch-refused", "presets": [preset("GET /a", b"a"), bad]}
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()["errors"][0]
    assert error["field"].startswith(field), error
    assert words in error["message"], error
    assert admin.get("/http/batch-refused").status_code == 404
    assert admin.get("/http").json() == before


def test_the_client_creates_its_mock_with_presets(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock(
        presets=[
            when("GET /hello").reply("hi", headers={"X-Kind": "greeting"}),
            when(method="GET", path="/users/{id}").reply('{"id": 1}', times=FOREVER),
        ]
    )
    with httpx.Client(base_url=mock.pretend_url, timeout=10) as http:
        hello = http.get("/hello")
        assert (hello.text, hello.headers["X-Kind"]) == ("hi", "greeting")
        assert http.get("/users/1").text == '{"id": 1}'
        assert http.get("/users/2").text == '{"id": 1}'
    assert [r.url for r in mock.get_request()] == ["/hello", "/users/1", "/users/2"]


def test_the_client_is_told_which_preset_is_bad(server: Deployed) -> None:
    with pytest.raises(ConfigurationError, match=r"presets\[1\]"):
        HTTPMock(
            server.host,
            server.port,
            name="batch-client-refused",
            presets=[when("GET /a").reply("a"), when("GET /(").reply("b")],
        )
    with httpx.Client(base_url=server.url, timeout=10) as admin:
        assert admin.get("/http/batch-client-refused").status_code == 404


def test_the_client_refuses_anything_but_presets(server: Deployed) -> None:
    with pytest.raises(TypeError, match=r"presets\[0\]"):
        HTTPMock(server.host, server.port, presets=[{"rule": "GET /a"}])  # type: ignore[list-item]


def test_the_async_client_creates_its_mock_with_presets(server: Deployed) -> None:
    async def scenario() -> None:
        presets = [when("GET /a").reply(b"A", status=202)]
        async with AsyncHTTPMock(server.host, server.port, presets=presets) as mock:
            async with httpx.AsyncClient() as http:
                got = await http.get(mock.pretend_url + "/a")
                assert (got.status_code, got.content) == (202, b"A")
            await mock.delete_mock()
        made = await AsyncHTTPMock.create(server.host, server.port, presets=presets)
        try:
            assert len(await made._run(_presets_of(made.pretend_access_point_id))) == 1
        finally:
            await made.delete_mock()
            await made.aclose()

    asyncio.run(scenario())


def _presets_of(mock_id: str) -> Any:
    from pretenders.client._admin import Call

    response = yield Call("GET", f"/preset/{mock_id}")
    return response.json()
