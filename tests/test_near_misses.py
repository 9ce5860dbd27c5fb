"""Unmatched requests over real sockets: the 404 text and the near misses kept in history."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.deployments


@pytest.fixture
def mock_id(new_mock: Callable[..., str]) -> str:
    return new_mock()


def add_preset(admin: httpx.Client, mock_id: str, rule: object, **fields: object) -> None:
    payload = {"rule": rule, "body": base64.b64encode(b"ok").decode(), **fields}
    response = admin.post(f"/preset/{mock_id}", json=payload)
    assert response.status_code == 200, response.text


def miss(admin: httpx.Client, mock_id: str, method: str, path: str, **kwargs: object) -> str:
    response = admin.request(method, f"/mockhttp/{mock_id}{path}", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    return response.text


def test_a_header_value_miss_names_the_header_expected_and_actual(
    admin: httpx.Client, mock_id: str
) -> None:
    add_preset(admin, mock_id, {"rule": r"GET /users/\d+$", "headers": {"X-Token": "abc"}})
    text = miss(admin, mock_id, "GET", "/users/42", headers={"X-Token": "abd"})
    assert text == (
        "No matching preset response for GET /users/42\n"
        "Closest preset:\n"
        '1. preset 0 "GET /users/\\d+$" (times left 1): '
        'header X-Token: expected "abc", got "abd"\n'
    )


def test_a_path_miss_names_the_rule(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, r"GET /users/\d+$")
    text = miss(admin, mock_id, "GET", "/users/me")
    assert (
        'rule: expected "GET /users/\\d+$", got "GET /users/me" '
        "(the method matches, the path does not)"
    ) in text


def test_a_method_miss_says_the_path_matched(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, "POST /orders", times="FOREVER")
    text = miss(admin, mock_id, "PUT", "/orders")
    assert (
        '1. preset 0 "POST /orders" (times left FOREVER): rule: expected "POST /orders", '
        'got "PUT /orders" (the path matches, the method does not)'
    ) in text


def test_a_body_miss_shows_the_regex_and_the_body(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, {"rule": "POST /orders", "body": '.*"qty": 2'})
    text = miss(admin, mock_id, "POST", "/orders", content=b'{"qty": 3}')
    assert 'body: expected ".*\\"qty\\": 2", got "{\\"qty\\": 3}"' in text


def test_a_long_body_is_cut_in_the_text(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, {"rule": "POST /orders", "body": "short"})
    text = miss(admin, mock_id, "POST", "/orders", content=b"y" * 5000)
    assert f'got "{"y" * 80}..."' in text
    assert len(text) < 400


def test_a_form_data_miss_shows_both_forms(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, {"rule": "POST /login", "data": {"user": "ann", "pin": "1"}})
    text = miss(admin, mock_id, "POST", "/login", data={"user": "ann", "pin": "2"})
    assert "data: expected {'user': 'ann', 'pin': '1'}, got {'user': 'ann', 'pin': '2'}" in text


def test_no_presets_at_all_says_how_to_add_one(admin: httpx.Client, mock_id: str) -> None:
    text = miss(admin, mock_id, "GET", "/anything?x=1")
    assert text.splitlines() == [
        "No matching preset response for GET /anything?x=1",
        f"The mock has no presets: add one with POST /preset/{mock_id} "
        "or mock.when(...).reply(...)",
    ]
    record = admin.get(f"/history/{mock_id}/0").json()
    assert (record["matched"], record["near_misses"]) == (False, [])


def test_closest_three_closest_first(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, "DELETE /nothing/alike")
    add_preset(admin, mock_id, "GET /orders/[a-z]+")
    add_preset(admin, mock_id, "POST /orders/1")
    add_preset(admin, mock_id, {"rule": "GET /orders/1", "headers": {"Accept": "text/csv"}})
    lines = miss(admin, mock_id, "GET", "/orders/1", headers={"Accept": "text/html"}).splitlines()
    assert lines[1] == "Closest 3 of 4 presets:"
    assert [line.split(" ")[2] for line in lines[2:]] == ["3", "2", "1"]


def test_history_keeps_the_near_misses_as_json(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, {"rule": "GET /a", "headers": {"X-K": "1"}}, times=2)
    admin.get(f"/mockhttp/{mock_id}/a", headers={"X-K": "2"})
    record = admin.get(f"/history/{mock_id}/0").json()
    assert record["matched"] is False
    assert record["preset"] is None
    assert record["status"] == 404
    (near,) = record["near_misses"]
    assert near["preset"] == 0
    assert near["times"] == 2
    assert near["rule"] == {"rule": "GET /a", "headers": {"X-K": "1"}, "body": None, "data": None}
    assert near["differences"] == [{"field": "header X-K", "expected": "1", "actual": "2"}]
    assert near["rule_miss"] is None
    assert near["text"] == 'preset 0 "GET /a" (times left 2): header X-K: expected "1", got "2"'


def test_a_matched_request_records_its_preset(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, "GET /a")
    add_preset(admin, mock_id, "GET /b")
    admin.get(f"/mockhttp/{mock_id}/b")
    record = admin.get(f"/history/{mock_id}/0").json()
    assert (record["matched"], record["preset"], record["near_misses"]) == (True, 1, [])
    assert set(record) >= {"method", "url", "headers", "body", "rule", "time", "status"}


def test_presets_count_what_they_served(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, "GET /a", times="FOREVER")
    add_preset(admin, mock_id, "GET /b", times=3)
    for _ in range(2):
        admin.get(f"/mockhttp/{mock_id}/a")
    admin.get(f"/mockhttp/{mock_id}/b")
    listed = admin.get(f"/preset/{mock_id}").json()
    assert [(p["times"], p["served"]) for p in listed] == [("FOREVER", 2), (2, 1)]


def test_undecodable_bytes_in_a_header_do_not_break_the_text(
    admin: httpx.Client, mock_id: str
) -> None:
    add_preset(admin, mock_id, {"rule": "GET /a", "headers": {"X-K": "1"}})
    text = miss(admin, mock_id, "GET", "/a", headers={"X-K": b"\xff\xfe"})
    assert 'header X-K: expected "1", got ' in text
    near = admin.get(f"/history/{mock_id}/0").json()["near_misses"][0]
    assert near["differences"][0]["actual"] in {"\ufffd\ufffd", "\xff\xfe"}
