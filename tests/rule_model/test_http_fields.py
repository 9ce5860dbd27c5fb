"""The rule fields past 1.4 over real HTTP: method, path templates, query, header and
cookie conditions, all / any / not, priority. Each: a match, and a near miss naming the
field in the 404 text and in the history; bad ones refused with a 400 naming the field."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer

pytestmark = pytest.mark.deployments


@pytest.fixture
def mock_id(new_mock: Callable[..., str]) -> str:
    return new_mock()


def preset(admin: httpx.Client, mock_id: str, rule: dict[str, Any], **fields: Any) -> None:
    body = base64.b64encode(fields.pop("answer", b"ok")).decode()
    response = admin.post(f"/preset/{mock_id}", json={"rule": rule, "body": body, **fields})
    assert response.status_code == 200, response.text


def served(admin: httpx.Client, mock_id: str, method: str, path: str, **kwargs: Any) -> str:
    response = admin.request(method, f"/mockhttp/{mock_id}{path}", **kwargs)
    assert response.status_code == 200, response.text
    return response.text


def missed(admin: httpx.Client, mock_id: str, method: str, path: str, **kwargs: Any) -> str:
    response = admin.request(method, f"/mockhttp/{mock_id}{path}", **kwargs)
    assert response.status_code == 404, response.text
    return response.text


def last_near_miss(admin: httpx.Client, mock_id: str) -> dict[str, Any]:
    record = admin.get(f"/history/{mock_id}/-1").json()
    assert record["near_misses"], record
    near: dict[str, Any] = record["near_misses"][0]
    return near


def test_method_and_path_template_with_parameter_conditions(
    admin: httpx.Client, mock_id: str
) -> None:
    rule = {
        "method": "get",
        "path": "/users/{id}/orders/{rest*}",
        "path_params": {"id": {"matches": "[0-9]+"}},
    }
    preset(admin, mock_id, rule, times="FOREVER")
    assert served(admin, mock_id, "GET", "/users/42/orders/7/items?x=1") == "ok"
    assert "path parameter id" in missed(admin, mock_id, "GET", "/users/ann/orders/7")
    assert "path: expected" in missed(admin, mock_id, "GET", "/people/42/orders/7")
    text = missed(admin, mock_id, "POST", "/users/42/orders/7")
    assert 'method: expected "GET", got "POST"' in text
    near = last_near_miss(admin, mock_id)
    assert near["rule"]["path"] == "/users/{id}/orders/{rest*}"
    assert near["differences"][0]["field"] == "method"


def test_query_parameters_in_any_order_multi_valued_or_absent(
    admin: httpx.Client, mock_id: str
) -> None:
    rule = {
        "rule": "GET /search",
        "query": {"q": "shoes", "tag": ["red", {"contains": "lar"}], "debug": {"absent": True}},
    }
    preset(admin, mock_id, rule, times="FOREVER")
    assert served(admin, mock_id, "GET", "/search?tag=large&q=shoes&tag=red") == "ok"
    assert served(admin, mock_id, "GET", "/search?tag=red&tag=solar&q=shoes") == "ok"
    text = missed(admin, mock_id, "GET", "/search?q=shoes&tag=red&tag=large&debug=1")
    assert 'query debug: expected "absent", got "1"' in text
    text = missed(admin, mock_id, "GET", "/search?q=boots&tag=red&tag=large")
    assert 'query q: expected "shoes", got "boots"' in text
    assert last_near_miss(admin, mock_id)["differences"][0]["field"] == "query q"


def test_header_conditions_beside_exact_1_4_headers(admin: httpx.Client, mock_id: str) -> None:
    rule = {
        "rule": "GET /me",
        "headers": {
            "X-Exact": "1",
            "Authorization": {"matches": "Bearer [a-z0-9]+"},
            "X-Debug": {"absent": True},
        },
    }
    preset(admin, mock_id, rule, times="FOREVER")
    good = {"X-Exact": "1", "Authorization": "Bearer abc123"}
    assert served(admin, mock_id, "GET", "/me", headers=good) == "ok"
    text = missed(admin, mock_id, "GET", "/me", headers={**good, "Authorization": "Basic x"})
    assert "header Authorization" in text and "Basic x" in text
    text = missed(admin, mock_id, "GET", "/me", headers={**good, "X-Debug": "yes"})
    assert "header X-Debug" in text


def test_cookies_by_name(admin: httpx.Client, mock_id: str) -> None:
    preset(admin, mock_id, {"rule": "GET /cart", "cookies": {"session": {"matches": "s-.*"}}})
    text = missed(admin, mock_id, "GET", "/cart", headers={"Cookie": "theme=dark; session=x-1"})
    assert 'cookie session: expected "matches \'s-.*\'", got "x-1"' in text
    assert served(admin, mock_id, "GET", "/cart", headers={"Cookie": "theme=dark; session=s-1"})


def test_all_any_and_not(admin: httpx.Client, mock_id: str) -> None:
    rule = {
        "rule": "GET /",
        "any": [{"query": {"a": "1"}}, {"headers": {"X-A": "1"}}],
        "not": {"query": {"blocked": {"absent": False}}},
        "all": [{"method": "GET"}],
    }
    preset(admin, mock_id, rule, times="FOREVER")
    assert served(admin, mock_id, "GET", "/x?a=1") == "ok"
    assert served(admin, mock_id, "GET", "/x", headers={"X-A": "1"}) == "ok"
    assert "any: query a" in missed(admin, mock_id, "GET", "/x?a=2")
    assert "not: expected" in missed(admin, mock_id, "GET", "/x?a=1&blocked=yes")


def test_priority_overrides_the_order_presets_were_added_in(
    admin: httpx.Client, mock_id: str
) -> None:
    preset(admin, mock_id, {"rule": "GET"}, answer=b"general", times="FOREVER")
    preset(admin, mock_id, {"rule": "GET /special"}, answer=b"special", priority=1, times=2)
    preset(admin, mock_id, {"rule": "GET /special"}, answer=b"later", priority=1, times=1)
    assert served(admin, mock_id, "GET", "/special") == "special"
    assert served(admin, mock_id, "GET", "/special") == "special"
    assert served(admin, mock_id, "GET", "/special") == "later"  # a tie: first added first
    assert served(admin, mock_id, "GET", "/special") == "general"
    listed = admin.get(f"/preset/{mock_id}").json()
    assert [p.get("priority") for p in listed] == [None]


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        ({"path": "users/{id}"}, "path", "must start with /"),
        ({"path": "/users/{id"}, "path", "{name}"),
        ({"path": "/users/{id}", "path_params": {"uid": "1"}}, "path_params", "not a parameter"),
        ({"method": "GE T"}, "method", "method token"),
        ({"query": {"q": {"matches": "(x"}}}, "query.q", "invalid regular expression"),
        ({"query": {"q": []}}, "query", "empty list"),
        ({"headers": {"X": {}}}, "headers.X", "at least one test"),
        ({"unknown_field": 1}, "rule", "unknown_field"),
    ],
)
def test_a_bad_rule_field_is_refused_naming_it(
    admin: httpx.Client, mock_id: str, rule: dict[str, Any], field: str, words: str
) -> None:
    response = admin.post(f"/preset/{mock_id}", json={"rule": rule})
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["field"].startswith(field.split(".")[0]) or field in error["message"]
    assert words in error["message"]
    response = admin.post(f"/preset/{mock_id}", json={"rule": {"rule": "GET"}, "priority": 0})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "priority"


def test_count_and_wait_filters_take_the_same_fields(admin: httpx.Client, mock_id: str) -> None:
    preset(admin, mock_id, {"rule": "GET"}, times="FOREVER")
    served(admin, mock_id, "GET", "/search?q=a&page=2")
    served(admin, mock_id, "GET", "/search?page=2&q=b")
    count = admin.post(f"/count/{mock_id}", json={"path": "/search", "query": {"page": "2"}})
    assert count.json()["count"] == 2
    count = admin.post(f"/count/{mock_id}", json={"query": {"q": "b"}})
    assert count.json()["count"] == 1


def test_a_load_file_with_the_new_fields(tmp_path: Path, server: EmbeddedServer) -> None:
    file = tmp_path / "mocks.yaml"
    file.write_text(
        """
mocks:
  - name: users-api
    presets:
      - rule: {method: GET, path: "/users/{id}", path_params: {id: {matches: "[0-9]+"}},
               query: {verbose: {absent: true}}}
        body: user
        priority: 1
        times: FOREVER
      - rule: {rule: GET /me, headers: {Authorization: {matches: "Bearer .+"}},
               cookies: {session: {contains: "s-"}}}
        body: me
        times: FOREVER
      - rule: {rule: GET /either, any: [{query: {a: "1"}}, {query: {b: "1"}}],
               not: {query: {c: {absent: false}}}, all: [{method: GET}]}
        body: either
        times: FOREVER
"""
    )
    with EmbeddedServer(load=(str(file),)) as loaded, httpx.Client(base_url=loaded.url) as client:
        base = "/mockhttp/users-api"
        assert client.get(f"{base}/users/7").text == "user"
        assert "query verbose" in client.get(f"{base}/users/7?verbose=1").text
        assert "path parameter id" in client.get(f"{base}/users/ann").text
        me = {"Authorization": "Bearer t", "Cookie": "session=s-1"}
        assert client.get(f"{base}/me", headers=me).text == "me"
        assert "cookie session" in client.get(f"{base}/me", headers={**me, "Cookie": "x=1"}).text
        assert client.get(f"{base}/either?b=1").text == "either"
        assert "not: expected" in client.get(f"{base}/either?b=1&c=").text


def test_the_ui_lists_the_new_fields_of_a_preset(admin: httpx.Client, mock_id: str) -> None:
    rule = {
        "rule": "GET /s",
        "query": {"q": {"contains": "<b>"}},
        "headers": {"X": {"absent": True}},
    }
    preset(admin, mock_id, rule, priority=3)
    page = admin.get(f"/ui/http/{mock_id}").text
    assert '<span class="label">query</span>' in page
    assert "&lt;b&gt;" in page and "<b>" not in page  # shown, escaped
    assert '<span class="label">headers</span>' in page
    assert '<span class="label">priority</span> <code>3</code>' in page
