"""Webhooks past the server's cap, at shutdown, through both clients, from ``--load``
files, in the UI and in the OpenAPI document."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock
from pretenders.client.http import HTTPMock
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.webhooks import WEBHOOKS
from tests.replies_webhooks.conftest import webhook_records
from tests.replies_webhooks.receiver import Receiver


def test_calls_past_the_cap_are_recorded_as_skipped(receiver: Receiver) -> None:
    with EmbeddedServer(webhook_max=1) as server, httpx.Client(base_url=server.url) as admin:
        mock_id = admin.post("/http", json={}).json()["id"]
        webhooks = [{"url": receiver.url + "/slow"}, {"url": receiver.url + "/second"}]
        admin.post(f"/preset/{mock_id}", json={"rule": "", "webhooks": webhooks})
        admin.get(f"/mockhttp/{mock_id}/x")
        (skipped,) = webhook_records(admin, mock_id, 1)
        assert skipped["url"] == receiver.url + "/second"
        assert skipped["status"] is None
        assert "--webhook-max" in skipped["webhook"]["error"]
        receiver.release()
        _, first = webhook_records(admin, mock_id, 2)
        assert (first["url"], first["status"]) == (receiver.url + "/slow", 200)
        assert [r.path for r in receiver.received] == ["/slow"]
        assert server.call_in_loop(lambda: server.app[WEBHOOKS].in_flight) == 0


def test_calls_under_way_are_cancelled_at_shutdown(receiver: Receiver) -> None:
    server = EmbeddedServer().start()
    try:
        with httpx.Client(base_url=server.url) as admin:
            mock_id = admin.post("/http", json={}).json()["id"]
            webhook = {"url": receiver.url + "/late", "after": 3600}
            admin.post(f"/preset/{mock_id}", json={"rule": "", "webhooks": [webhook]})
            admin.get(f"/mockhttp/{mock_id}/x")
            sender = server.app[WEBHOOKS]
            assert server.call_in_loop(lambda: sender.in_flight) == 1
    finally:
        server.stop()
    assert sender.in_flight == 0
    assert receiver.received == []


def test_the_sync_client_adds_webhooks_and_reads_their_records(
    make_mock: Callable[..., HTTPMock], receiver: Receiver
) -> None:
    mock = make_mock()
    hook = {"url": receiver.url + "/paid", "body": "{{ request.query.order }}", "template": True}
    mock.when("POST /pay").reply(status=202, webhooks=[hook])
    with httpx.Client(timeout=10) as http:
        assert http.post(mock.pretend_url + "/pay?order=7").status_code == 202
    (received,) = receiver.wait_for(1)
    assert received.body == b"7"
    with httpx.Client(base_url=f"http://{mock.host}:{mock.port}") as admin:
        webhook_records(admin, mock.pretend_access_point_id, 1)
    served, call = mock.get_request()
    assert served.webhook is None
    assert call.webhook is not None and call.webhook["error"] is None
    assert (call.method, call.url, call.status) == ("POST", receiver.url + "/paid", 200)


def test_the_async_client_adds_webhooks(server: EmbeddedServer, receiver: Receiver) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock:
            try:
                await mock.when("GET /go").reply("went", webhooks=[{"url": receiver.url + "/a"}])
                async with httpx.AsyncClient(timeout=10) as http:
                    assert (await http.get(mock.pretend_url + "/go")).text == "went"
            finally:
                await mock.delete_mock()

    asyncio.run(scenario())
    assert receiver.wait_for(1)[0].path == "/a"


def test_a_load_file_gives_presets_webhooks(tmp_path: Path, receiver: Receiver) -> None:
    path = tmp_path / "mocks.json"
    preset = {"rule": "POST /orders", "status": 202, "webhooks": [{"url": receiver.url + "/cb"}]}
    path.write_text(json.dumps({"mocks": [{"name": "shop", "presets": [preset]}]}))
    with EmbeddedServer(load=(str(path),)) as server, httpx.Client(base_url=server.url) as admin:
        assert admin.post("/mockhttp/shop/orders").status_code == 202
        assert receiver.wait_for(1)[0].path == "/cb"
        (call,) = webhook_records(admin, "shop", 1)
        assert call["status"] == 200


def test_a_load_file_with_a_bad_webhook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mocks.json"
    preset = {"webhooks": [{"url": "file:///etc/passwd"}]}
    path.write_text(json.dumps({"mocks": [{"name": "shop", "presets": [preset]}]}))
    with pytest.raises(Exception, match=r"webhooks\[0\]\.url must start with http://"):
        EmbeddedServer(load=(str(path),)).start().stop()


def test_the_ui_shows_webhooks_and_their_calls(
    admin: httpx.Client, new_mock: Callable[..., str], receiver: Receiver
) -> None:
    mock_id = new_mock()
    webhook = {"url": receiver.url + "/seen", "after": 0.1}
    admin.post(f"/preset/{mock_id}", json={"rule": "", "webhooks": [webhook], "times": 2})
    admin.get(f"/mockhttp/{mock_id}/x")
    webhook_records(admin, mock_id, 1)
    page = admin.get(f"/ui/http/{mock_id}").text
    assert f"POST {receiver.url}/seen after 100 ms" in page
    assert "webhook of preset 0" in page
    call = admin.get(f"/ui/http/{mock_id}/requests/1").text
    assert "Webhook of" in call and "answered 200" in call


def test_the_openapi_document_describes_webhooks(admin: httpx.Client) -> None:
    schemas: dict[str, Any] = admin.get("/openapi.json").json()["components"]["schemas"]
    assert {"url", "timeout", "template"} <= set(schemas["WebhookIn"]["properties"])
    assert "webhook" in schemas["RequestOut"]["properties"]
    assert {"duration", "error", "reply"} <= set(schemas["WebhookCallOut"]["properties"])
