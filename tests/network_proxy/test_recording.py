"""Recording over real sockets: a mock proxies every request to a local upstream, keeps
each exchange as a preset, and its export replays them on a fresh server with the
upstream stopped."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from pretenders.client.aio import AsyncHTTPMock
from pretenders.client.http import HTTPMock
from pretenders.server.embedded import EmbeddedServer
from tests.conftest import Deployed
from tests.network_proxy.upstream import Upstream

Exchange = tuple[str, str, dict[str, str], bytes]
"""method, path below the mock, headers, body"""

EXCHANGES: list[Exchange] = [
    ("GET", "/echo/users/7?page=2", {"Accept": "application/json"}, b""),
    ("GET", "/echo/users/7?page=2", {"Accept": "text/plain"}, b""),
    ("GET", "/echo/users/7?page=3", {"Accept": "application/json"}, b""),
    ("POST", "/echo/orders", {"Content-Type": "application/json"}, b'{"item": "tea"}'),
    ("POST", "/echo/orders", {"Content-Type": "application/json"}, b'{"item": "cake"}'),
    ("GET", "/status/404", {}, b""),
    ("GET", "/cookies", {}, b""),
]


def _send(client: httpx.Client, mock_id: str, exchange: Exchange) -> httpx.Response:
    method, path, headers, body = exchange
    return client.request(method, f"/mockhttp/{mock_id}{path}", headers=headers, content=body)


def _answer(response: httpx.Response) -> tuple[int, str, str | None, list[str]]:
    return (
        response.status_code,
        response.text,
        response.headers.get("Content-Type"),
        response.headers.get_list("Set-Cookie"),
    )


def _record(admin: httpx.Client, mock_id: str, upstream: Upstream) -> None:
    match = {"query": True, "headers": ["Accept"], "json_body": True}
    started = admin.post(f"/record/{mock_id}", json={"to": upstream.url, "match": match})
    assert started.status_code == 200, started.text
    assert started.json()["recording"] is True


@pytest.mark.parametrize("form", ["json", "yaml"])
def test_a_recording_exported_replays_offline(
    admin: httpx.Client,
    new_mock: Callable[..., str],
    upstream: Upstream,
    tmp_path: Path,
    form: str,
) -> None:
    mock_id = new_mock(name=f"recorded-{form}")
    _record(admin, mock_id, upstream)
    live = [_answer(_send(admin, mock_id, exchange)) for exchange in EXCHANGES]
    assert len(upstream.received) == len(EXCHANGES)  # each one was proxied
    assert admin.get(f"/record/{mock_id}").json()["to"] == upstream.url
    assert admin.delete(f"/record/{mock_id}").json() == {"recording": False, "stopped": 1}
    exported = admin.get(f"/export/{mock_id}", params={"format": form})
    assert exported.status_code == 200
    document = yaml.safe_load(exported.text) if form == "yaml" else json.loads(exported.text)
    assert len(document["mocks"][0]["presets"]) == len(EXCHANGES)
    upstream.stop()
    saved = tmp_path / f"recorded.{form}"
    saved.write_bytes(exported.content)

    with (
        EmbeddedServer(port=0, load=(str(saved),)) as fresh,
        httpx.Client(base_url=fresh.url) as client,
    ):
        replayed = [_answer(_send(client, mock_id, exchange)) for exchange in EXCHANGES]

    assert replayed == live
    assert live[0][1] != live[1][1]  # the Accept header told them apart
    assert json.loads(live[3][1])["body"] == '{"item": "tea"}'
    assert json.loads(live[4][1])["body"] == '{"item": "cake"}'
    assert live[6][3] == ["a=1", "b=2"]


def test_while_recording_every_request_is_proxied_and_the_first_answer_kept(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    _record(admin, mock_id, upstream)

    first = admin.get(f"/mockhttp/{mock_id}/counter").text
    second = admin.get(f"/mockhttp/{mock_id}/counter").text
    admin.delete(f"/record/{mock_id}")
    replayed = admin.get(f"/mockhttp/{mock_id}/counter")

    assert (first, second) == ("1", "2")  # both went upstream
    assert replayed.text == "1"  # the first answer was kept
    assert replayed.headers["X-Count"] == "yes"
    presets = admin.get(f"/preset/{mock_id}").json()
    assert len(presets) == 1
    assert presets[0]["rule"]["method"] == "GET"
    assert presets[0]["rule"]["path"] == "/counter"
    assert presets[0]["times"] == "FOREVER"
    history = admin.get(f"/history/{mock_id}").json()
    assert [r["proxied"] for r in history[:2]] == [f"{upstream.url}/counter"] * 2


def test_the_recording_state_is_shown_and_stopping_twice_is_harmless(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    assert admin.get(f"/record/{mock_id}").json() == {"recording": False}
    _record(admin, mock_id, upstream)
    shown = admin.get(f"/record/{mock_id}").json()
    assert shown["match"] == {"headers": ["Accept"], "json_body": True}
    assert admin.delete(f"/record/{mock_id}").json()["stopped"] == 1
    assert admin.delete(f"/record/{mock_id}").json()["stopped"] == 0
    assert admin.get(f"/export/{mock_id}").json()["mocks"][0]["presets"] == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "to"),
        ({"to": "ftp://127.0.0.1/"}, "proxy.to"),
        ({"to": "http://127.0.0.1", "match": {"colour": 1}}, "colour"),
        ({"to": "http://127.0.0.1", "match": {"headers": ["X"] * 51}}, "match.headers"),
        ({"to": "http://127.0.0.1", "timeout": -1}, "proxy.timeout"),
    ],
)
def test_bad_recordings_are_refused(
    admin: httpx.Client, new_mock: Callable[..., str], body: dict[str, object], named: str
) -> None:
    mock_id = new_mock()
    answer = admin.post(f"/record/{mock_id}", json=body)
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert named in f"{error['field']} {error['message']}"
    assert admin.get(f"/record/{mock_id}").json() == {"recording": False}


def test_unknown_mocks_and_formats(admin: httpx.Client, new_mock: Callable[..., str]) -> None:
    assert admin.post("/record/nobody", json={"to": "http://127.0.0.1"}).status_code == 404
    assert admin.get("/export/nobody").status_code == 404
    answer = admin.get(f"/export/{new_mock()}", params={"format": "xml"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "format"


def test_the_sync_client_records_and_exports(server: Deployed, upstream: Upstream) -> None:
    with HTTPMock(server.host, server.port) as mock:
        mock.when("GET /echo").proxy(upstream.url, add_headers={"X-Key": "k"}, times=1)
        assert json.loads(httpx.get(f"{mock.pretend_url}/echo").text)["headers"]["X-Key"] == "k"
        assert mock.record(upstream.url, headers=["Accept"])["recording"] is True
        assert mock.recording()["to"] == upstream.url
        httpx.get(f"{mock.pretend_url}/status/201")
        assert mock.stop_recording() == 1
        document = yaml.safe_load(mock.export("yaml"))
        mock.delete_mock()
    presets = document["mocks"][0]["presets"]
    assert [p["rule"]["path"] for p in presets] == ["/status/201"]
    assert presets[0]["status"] == 201


@pytest.mark.anyio
async def test_the_async_client_records_and_exports(server: Deployed, upstream: Upstream) -> None:
    mock = await AsyncHTTPMock.create(server.host, server.port)
    async with mock, httpx.AsyncClient() as client:
        await mock.when("GET /echo").proxy(upstream.url)
        assert (await client.get(f"{mock.pretend_url}/echo")).status_code == 200
        await mock.record(upstream.url)
        await client.get(f"{mock.pretend_url}/status/202?x=1")
        assert (await mock.recording())["recording"] is True
        assert await mock.stop_recording() == 1
        document = json.loads(await mock.export())
        await mock.delete_mock()
    recorded = document["mocks"][0]["presets"][-1]
    assert recorded["rule"]["query"] == {"x": "1"}
    assert recorded["status"] == 202


def test_a_proxy_preset_is_exported_as_one(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    proxy = {"to": "http://127.0.0.1:9/api", "remove_headers": ["Cookie"], "timeout": 2.5}
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /x", "proxy": proxy, "priority": 4})

    (entry,) = admin.get(f"/export/{mock_id}").json()["mocks"][0]["presets"]

    assert entry == {"rule": "GET /x", "times": 1, "priority": 4, "proxy": proxy}


def test_an_export_keeps_sequences_state_and_webhooks(
    admin: httpx.Client, new_mock: Callable[..., str], tmp_path: Path
) -> None:
    mock_id = new_mock()
    b64 = base64.b64encode
    sequence = {
        "rule": "GET /page",
        "times": "FOREVER",
        "replies": [{"body": b64(b"one").decode()}, {"status": 204}],
        "pick": "cycle",
        "state": {"machine": "m", "requires": "start", "to": "start"},
        "webhooks": [{"url": "http://127.0.0.1:9/hook", "headers": {"X-A": "1"}}],
    }
    assert admin.post(f"/preset/{mock_id}", json=sequence).status_code == 200
    exported = admin.get(f"/export/{mock_id}")
    assert exported.status_code == 200
    (entry,) = exported.json()["mocks"][0]["presets"]
    assert [r.get("body") for r in entry["replies"]] == ["one", None]
    assert entry["pick"] == "cycle"
    assert entry["state"]["machine"] == "m"
    assert entry["webhooks"][0]["headers"] == {"X-A": "1"}
    saved = tmp_path / "exported.json"
    saved.write_bytes(exported.content)
    with EmbeddedServer(port=0, load=(str(saved),)) as fresh:
        name = exported.json()["mocks"][0]["name"]
        replies = [httpx.get(f"{fresh.url}/mockhttp/{name}/page") for _ in range(3)]
    assert [(r.status_code, r.content) for r in replies] == [
        (200, b"one"),
        (204, b""),
        (200, b"one"),
    ]
