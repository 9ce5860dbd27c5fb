"""Counting, filtered history and unused presets over the admin API, with plain HTTP."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.deployments


@pytest.fixture
def traffic(admin: httpx.Client, new_mock: Callable[..., str]) -> str:
    """A mock that served two orders and missed two requests."""
    mock_id = new_mock()
    admin.post(f"/preset/{mock_id}", json={"rule": "POST /orders", "times": 2})
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /never", "times": 3})
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /health", "times": "FOREVER"})
    admin.post(f"/mockhttp/{mock_id}/orders", content=b'{"qty": 2}')
    admin.post(f"/mockhttp/{mock_id}/orders?rush=1", content=b'{"qty": 5}')
    admin.get(f"/mockhttp/{mock_id}/users/7", headers={"X-Token": "t"})
    admin.delete(f"/mockhttp/{mock_id}/orders/1")
    return mock_id


def count(admin: httpx.Client, mock_id: str, **rule: object) -> int:
    response = admin.post(f"/count/{mock_id}", json=rule)
    assert response.status_code == 200, response.text
    assert response.json()["dropped"] == 0
    return int(response.json()["count"])


def test_count_uses_the_preset_rule_language(admin: httpx.Client, traffic: str) -> None:
    assert count(admin, traffic) == 4
    assert count(admin, traffic, rule="POST /orders") == 2
    assert count(admin, traffic, rule="POST /orders", body='.*"qty": 2') == 1
    assert count(admin, traffic, rule=".* /orders") == 3
    assert count(admin, traffic, headers={"x-token": "t"}) == 1
    assert count(admin, traffic, rule="PUT ") == 0


def test_count_refuses_bad_input(admin: httpx.Client, traffic: str) -> None:
    bad_regex = admin.post(f"/count/{traffic}", json={"rule": "GET /(["})
    assert bad_regex.status_code == 400
    assert "invalid regular expression" in bad_regex.json()["errors"][0]["message"]
    mail_filter = admin.post(f"/count/{traffic}", json={"to": "ann@"})
    assert mail_filter.status_code == 400
    assert mail_filter.json()["errors"][0]["field"] == "to"
    unknown_field = admin.post(f"/count/{traffic}", json={"rules": "GET"})
    assert unknown_field.status_code == 400
    unknown_mock = admin.post("/count/never-made", json={})
    assert unknown_mock.status_code == 404
    assert "never-made" in unknown_mock.json()["errors"][0]["message"]


def urls(admin: httpx.Client, mock_id: str, **query: str) -> list[str]:
    response = admin.get(f"/history/{mock_id}", params=query)
    assert response.status_code == 200, response.text
    return [record["url"] for record in response.json()]


def test_history_filters(admin: httpx.Client, traffic: str) -> None:
    assert urls(admin, traffic) == ["/orders", "/orders?rush=1", "/users/7", "/orders/1"]
    assert urls(admin, traffic, method="post") == ["/orders", "/orders?rush=1"]
    assert urls(admin, traffic, url=r"^/orders\b") == ["/orders", "/orders?rush=1", "/orders/1"]
    assert urls(admin, traffic, url="rush") == ["/orders?rush=1"]
    assert urls(admin, traffic, matched="false") == ["/users/7", "/orders/1"]
    assert urls(admin, traffic, matched="true", url="rush") == ["/orders?rush=1"]
    assert urls(admin, traffic, method="DELETE", matched="false") == ["/orders/1"]


def test_unmatched_history_carries_the_near_misses(admin: httpx.Client, traffic: str) -> None:
    unmatched = admin.get(f"/history/{traffic}", params={"matched": "false"}).json()
    assert all(record["near_misses"] for record in unmatched)
    # POST /orders served its two and is gone: the GETs left are the closest to GET /users/7
    assert [(n["preset"], n["rule_miss"]) for n in unmatched[0]["near_misses"]] == [
        (1, "path"),
        (2, "path"),
    ]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"methd": "GET"}, "methd", "methd is not a history filter; use method, url, matched"),
        ({"url": "(["}, "url", "url: invalid regular expression"),
        ({"matched": "maybe"}, "matched", "matched must be true or false, got 'maybe'"),
        ({"to": "ann"}, "to", "to filters mails, and this is an HTTP mock"),
        ({"to": "ann", "method": "GET"}, "to", "method filters HTTP requests and to filters"),
    ],
)
def test_history_filters_refuse_bad_input(
    admin: httpx.Client, traffic: str, query: dict[str, str], field: str, message: str
) -> None:
    response = admin.get(f"/history/{traffic}", params=query)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert error["message"].startswith(message)
    assert len(urls(admin, traffic)) == 4


def test_filtered_history_of_an_unknown_mock_is_empty(admin: httpx.Client) -> None:
    assert admin.get("/history/never-made", params={"matched": "false"}).json() == []
    assert admin.get("/history/never-made", params={"url": "(["}).status_code == 400


def test_unused_presets(admin: httpx.Client, traffic: str) -> None:
    everything = admin.get(f"/preset/{traffic}").json()
    assert [(p["rule"]["rule"], p["times"], p["served"]) for p in everything] == [
        ("GET /never", 3, 0),
        ("GET /health", "FOREVER", 0),
    ]
    admin.get(f"/mockhttp/{traffic}/health")
    unused = admin.get(f"/preset/{traffic}", params={"unused": "true"}).json()
    assert [p["rule"]["rule"] for p in unused] == ["GET /never"]
    assert admin.get(f"/preset/{traffic}", params={"unused": "false"}).json()[1]["served"] == 1
    assert admin.get(f"/preset/{traffic}", params={"unused": "often"}).status_code == 400


def test_a_preset_reply_body_is_still_base64(admin: httpx.Client, traffic: str) -> None:
    listed = admin.get(f"/preset/{traffic}", params={"unused": "1"}).json()
    assert base64.b64decode(listed[0]["body"]) == b""
