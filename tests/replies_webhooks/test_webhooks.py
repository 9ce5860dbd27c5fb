"""Webhooks: after a preset's reply, the server sends the requests it lists, and records
each call and its outcome in the mock's history (over real sockets, to a local receiver)."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.replies_webhooks.receiver import Receiver

Calls = Callable[..., list[dict[str, Any]]]


def _preset(admin: httpx.Client, mock_id: str, **fields: Any) -> httpx.Response:
    fields.setdefault("rule", "")
    return admin.post(f"/preset/{mock_id}", json=fields)


def test_templated_webhook_reaches_the_receiver_after_its_delay(
    admin: httpx.Client, new_mock: Callable[..., str], receiver: Receiver, calls: Calls
) -> None:
    mock_id = new_mock()
    webhook = {
        "method": "PUT",
        "url": receiver.url + "/callbacks{{ request.path }}?id={{ request.json.id }}",
        "headers": {"X-Order": "{{ request.json.id }}", "Content-Type": "application/json"},
        "body": '{"order": {{ request.json.id }}, "via": "{{ request.method }}"}',
        "template": True,
        "after": 0.3,
    }
    added = _preset(admin, mock_id, rule="POST /orders", status=202, webhooks=[webhook])
    assert added.status_code == 200, added.text

    reply = admin.post(f"/mockhttp/{mock_id}/orders", json={"id": 42})
    replied_at = time.time()
    assert reply.status_code == 202

    (received,) = receiver.wait_for(1)
    assert received.method == "PUT"
    assert received.path == "/callbacks/orders"
    assert received.headers["X-Order"] == "42"
    assert received.body == b'{"order": 42, "via": "POST"}'
    assert received.at >= replied_at + 0.3 - 0.05  # not before its delay (clock slack)

    (call,) = calls(mock_id, 1)
    assert call["method"] == "PUT"
    assert call["url"] == receiver.url + "/callbacks/orders?id=42"
    assert call["status"] == 200
    assert call["preset"] == 0
    assert call["webhook"]["error"] is None
    assert base64.b64decode(call["webhook"]["reply"]) == b"ok"
    assert base64.b64decode(call["body"]) == b'{"order": 42, "via": "POST"}'
    assert call["webhook"]["duration"] >= 0


def test_an_untemplated_webhook_is_sent_as_written(
    admin: httpx.Client, new_mock: Callable[..., str], receiver: Receiver, calls: Calls
) -> None:
    mock_id = new_mock()
    webhook = {"url": receiver.url + "/plain", "body": "{{ not a template }}"}
    assert _preset(admin, mock_id, webhooks=[webhook]).status_code == 200
    assert admin.get(f"/mockhttp/{mock_id}/x").status_code == 200
    (received,) = receiver.wait_for(1)
    assert (received.method, received.path) == ("POST", "/plain")
    assert received.body == b"{{ not a template }}"
    calls(mock_id, 1)


def test_a_refused_connection_is_recorded_as_such(
    admin: httpx.Client, new_mock: Callable[..., str], calls: Calls
) -> None:
    with socket.socket() as closed:  # a port nothing listens on once closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    mock_id = new_mock()
    _preset(admin, mock_id, webhooks=[{"url": f"http://127.0.0.1:{port}/hook"}])
    admin.get(f"/mockhttp/{mock_id}/x")
    (call,) = calls(mock_id, 1)
    assert call["status"] is None
    assert "Connect" in call["webhook"]["error"], call["webhook"]["error"]
    assert call["url"] == f"http://127.0.0.1:{port}/hook"


def test_a_call_over_its_timeout_is_cut_and_recorded(
    admin: httpx.Client, new_mock: Callable[..., str], receiver: Receiver, calls: Calls
) -> None:
    mock_id = new_mock()
    _preset(admin, mock_id, webhooks=[{"url": receiver.url + "/slow", "timeout": 0.3}])
    admin.get(f"/mockhttp/{mock_id}/x")
    (call,) = calls(mock_id, 1)
    assert call["status"] is None
    assert call["webhook"]["error"].startswith("timed out after 0.3 s"), call["webhook"]
    assert call["webhook"]["duration"] >= 0.3 - 0.05


def test_redirects_are_not_followed(
    admin: httpx.Client, new_mock: Callable[..., str], receiver: Receiver, calls: Calls
) -> None:
    mock_id = new_mock()
    _preset(admin, mock_id, webhooks=[{"url": receiver.url + "/redirect", "method": "GET"}])
    admin.get(f"/mockhttp/{mock_id}/x")
    (call,) = calls(mock_id, 1)
    assert call["status"] == 302
    assert [r.path for r in receiver.received] == ["/redirect"]


def test_a_template_that_fails_is_recorded_not_sent(
    admin: httpx.Client, new_mock: Callable[..., str], receiver: Receiver, calls: Calls
) -> None:
    mock_id = new_mock()
    webhook = {"url": receiver.url + "/t", "body": "{{ 1 // 0 }}", "template": True}
    _preset(admin, mock_id, webhooks=[webhook], times=2)
    admin.post(f"/mockhttp/{mock_id}/x", content=b"not json")
    (call,) = calls(mock_id, 1)
    assert call["status"] is None
    assert call["webhook"]["error"].startswith("the template failed"), call["webhook"]
    assert receiver.received == []


def test_every_webhook_of_a_preset_is_sent_at_each_use(
    admin: httpx.Client, new_mock: Callable[..., str], receiver: Receiver, calls: Calls
) -> None:
    mock_id = new_mock()
    webhooks = [{"url": receiver.url + "/a"}, {"url": receiver.url + "/b"}]
    _preset(admin, mock_id, webhooks=webhooks, times=2)
    admin.get(f"/mockhttp/{mock_id}/1")
    admin.get(f"/mockhttp/{mock_id}/2")
    assert sorted(r.path for r in receiver.wait_for(4)) == ["/a", "/a", "/b", "/b"]
    assert len(calls(mock_id, 4)) == 4


def test_presets_list_their_webhooks_and_plain_ones_do_not(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    webhook = {"url": "http://127.0.0.1:9/hook", "headers": {"X-A": 1}, "after": 2}
    _preset(admin, mock_id, rule="GET /plain")
    _preset(admin, mock_id, rule="GET /hooked", webhooks=[webhook])
    plain, hooked = admin.get(f"/preset/{mock_id}").json()
    assert "webhooks" not in plain
    assert hooked["webhooks"] == [
        {
            "url": "http://127.0.0.1:9/hook",
            "method": "POST",
            "headers": {"X-A": "1"},
            "body": "",
            "template": False,
            "after": 2.0,
            "timeout": 10.0,
        }
    ]


def test_history_of_received_requests_says_they_are_not_webhooks(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    _preset(admin, mock_id)
    admin.get(f"/mockhttp/{mock_id}/x")
    (record,) = admin.get(f"/history/{mock_id}").json()
    assert record["webhook"] is None
    assert record["url"] == "/x"


@pytest.mark.parametrize(
    ("webhook", "field", "words"),
    [
        ({"url": "ftp://127.0.0.1/x"}, "webhooks[0].url", "http:// or https://"),
        ({"url": "/relative"}, "webhooks[0].url", "http:// or https://"),
        (
            {"url": "http://{{ request.headers.host }}/x", "template": True},
            "webhooks[0].url",
            "written out",
        ),
        ({"url": "http://127.0.0.1/x", "timeout": 0}, "webhooks[0].timeout", "at most 60"),
        ({"url": "http://127.0.0.1/x", "timeout": 61}, "webhooks[0].timeout", "at most 60"),
        ({"url": "http://127.0.0.1/x", "after": -1}, "webhooks[0].after", "from 0 to 3600"),
        ({"url": "http://127.0.0.1/x", "method": "GET /"}, "webhooks[0].method", "HTTP method"),
        (
            {"url": "http://127.0.0.1/x", "headers": {"Bad Name": "v"}},
            "webhooks[0].headers",
            "header name",
        ),
        (
            {"url": "http://127.0.0.1/x", "body": "{{ unclosed", "template": True},
            "webhooks[0].body",
            "not a valid template",
        ),
    ],
)
def test_bad_webhooks_are_refused_naming_the_field(
    admin: httpx.Client,
    new_mock: Callable[..., str],
    webhook: dict[str, Any],
    field: str,
    words: str,
) -> None:
    mock_id = new_mock()
    answer = _preset(admin, mock_id, webhooks=[webhook])
    assert answer.status_code == 400, answer.text
    (error,) = answer.json()["errors"]
    assert error["field"] == field
    assert words in error["message"], error["message"]
    assert admin.get(f"/preset/{mock_id}").json() == []


def test_more_than_ten_webhooks_are_refused(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    answer = _preset(admin, mock_id, webhooks=[{"url": "http://127.0.0.1/x"}] * 11)
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error["field"] == "webhooks"
    assert "at most 10" in error["message"]


def test_an_unknown_webhook_field_is_refused(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    answer = _preset(admin, mock_id, webhooks=[{"url": "http://127.0.0.1/x", "retries": 3}])
    assert answer.status_code == 400
    assert "retries" in answer.text
