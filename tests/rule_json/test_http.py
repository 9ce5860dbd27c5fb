"""JSON rules over real HTTP: presets added through the admin API, requests to the mock,
the 404 text and the near misses kept in history."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.deployments


@pytest.fixture
def mock_id(new_mock: Callable[..., str]) -> str:
    return new_mock()


def add_preset(admin: httpx.Client, mock_id: str, rule: dict[str, Any], reply: bytes) -> None:
    payload = {"rule": rule, "body": base64.b64encode(reply).decode(), "times": "FOREVER"}
    response = admin.post(f"/preset/{mock_id}", json=payload)
    assert response.status_code == 200, response.text


def post(admin: httpx.Client, mock_id: str, body: object) -> httpx.Response:
    return admin.post(f"/mockhttp/{mock_id}/orders", json=body)


def last_near_miss(admin: httpx.Client, mock_id: str) -> dict[str, Any]:
    history = admin.get(f"/history/{mock_id}").json()
    near: dict[str, Any] = history[-1]["near_misses"][0]
    return near


def test_json_with_ignore_extra_matches_and_names_the_path_of_a_miss(
    admin: httpx.Client, mock_id: str
) -> None:
    rule = {
        "rule": "POST /orders",
        "json": {"order": {"items": [{"sku": "A1"}]}},
        "json_ignore_extra": True,
    }
    add_preset(admin, mock_id, rule, b"accepted")
    sent = {"order": {"items": [{"qty": 2, "sku": "A1"}], "id": 7}, "user": "ann"}
    assert post(admin, mock_id, sent).text == "accepted"

    missed = post(admin, mock_id, {"order": {"items": [{"sku": "B2"}]}})
    assert missed.status_code == 404
    assert (
        '1. preset 0 "POST /orders" (times left FOREVER): '
        'json $.order.items[0].sku: expected "\\"A1\\"", got "\\"B2\\""'
    ) in missed.text
    near = last_near_miss(admin, mock_id)
    assert near["differences"] == [
        {"field": "json $.order.items[0].sku", "expected": '"A1"', "actual": '"B2"'}
    ]
    assert near["rule"]["json"] == rule["json"]
    assert near["rule"]["json_ignore_extra"] is True


def test_json_ignore_order_over_http(admin: httpx.Client, mock_id: str) -> None:
    rule = {"rule": "POST /orders", "json": {"tags": ["a", "b"]}, "json_ignore_order": True}
    add_preset(admin, mock_id, rule, b"ok")
    assert post(admin, mock_id, {"tags": ["b", "a"]}).text == "ok"
    missed = post(admin, mock_id, {"tags": ["b", "c"]})
    assert missed.status_code == 404
    assert 'json $.tags: expected "[\\"a\\", \\"b\\"]", got "[\\"b\\", \\"c\\"]"' in missed.text


def test_a_body_that_is_not_json_is_said_so(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, {"rule": "POST /orders", "json": {"a": 1}}, b"ok")
    missed = admin.post(f"/mockhttp/{mock_id}/orders", content=b"a=1")
    assert missed.status_code == 404
    near = last_near_miss(admin, mock_id)
    assert near["differences"] == [
        {"field": "json", "expected": '{"a": 1}', "actual": "(a body that is not JSON)"}
    ]


def test_jsonpath_over_http(admin: httpx.Client, mock_id: str) -> None:
    rule = {
        "rule": "POST /orders",
        "jsonpath": {"$.order.items[0].sku": "A1", "$.order.total": {"ge": 10}},
    }
    add_preset(admin, mock_id, rule, b"big order")
    assert post(admin, mock_id, {"order": {"items": [{"sku": "A1"}], "total": 12}}).text == (
        "big order"
    )
    missed = post(admin, mock_id, {"order": {"items": [{"sku": "A1"}], "total": 3}})
    assert missed.status_code == 404
    assert 'jsonpath $.order.total: expected ">= 10", got "3"' in missed.text
    assert last_near_miss(admin, mock_id)["differences"] == [
        {"field": "jsonpath $.order.total", "expected": ">= 10", "actual": "3"}
    ]


def test_json_schema_over_http(admin: httpx.Client, mock_id: str) -> None:
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "integer"}},
    }
    add_preset(admin, mock_id, {"rule": "POST /orders", "json_schema": schema}, b"valid")
    assert post(admin, mock_id, {"id": 3, "more": True}).text == "valid"
    missed = post(admin, mock_id, {"id": "3"})
    assert missed.status_code == 404
    assert 'json schema: expected "\'3\' is not of type \'integer\'", got "$.id: \\"3\\""' in (
        missed.text
    )
    assert last_near_miss(admin, mock_id)["differences"] == [
        {"field": "json schema", "expected": "'3' is not of type 'integer'", "actual": '$.id: "3"'}
    ]


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        ({"jsonpath": {"$.a[": "x"}}, "jsonpath", "jsonpath: invalid JSONPath '$.a[': "),
        ({"json_schema": {"type": 5}}, "json_schema", "json_schema: invalid schema at type"),
        (
            {"json_schema": {"$ref": "http://127.0.0.1:9/schema.json"}},
            "json_schema",
            "would be fetched",
        ),
        ({"json_ignore_order": True}, "json_ignore_order", "json_ignore_order needs a json"),
    ],
)
def test_bad_json_rules_are_a_400_naming_the_field(
    admin: httpx.Client, mock_id: str, rule: dict[str, Any], field: str, message: str
) -> None:
    response = admin.post(f"/preset/{mock_id}", json={"rule": {"rule": "POST /x", **rule}})
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == (field, "invalid")
    assert message in error["message"]
    assert "\n" not in error["message"]
    assert admin.get(f"/preset/{mock_id}").json() == []  # nothing was added


def test_count_and_history_filters_take_the_json_fields(admin: httpx.Client, mock_id: str) -> None:
    for body in ({"sku": "A1", "qty": 1}, {"sku": "A1", "qty": 3}, {"sku": "B2"}):
        post(admin, mock_id, body)
    admin.post(f"/mockhttp/{mock_id}/orders", content=b"not json")

    def count(**rule: object) -> int:
        response = admin.post(f"/count/{mock_id}", json=rule)
        assert response.status_code == 200, response.text
        return int(response.json()["count"])

    assert count(json={"sku": "A1"}, json_ignore_extra=True) == 2
    assert count(jsonpath={"$.qty": {"gt": 2}}) == 1
    assert count(json_schema={"required": ["qty"]}) == 2
    assert count(json={"sku": "B2"}) == 1
    refused = admin.post(f"/count/{mock_id}", json={"jsonpath": {"$[": 1}})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "jsonpath"
