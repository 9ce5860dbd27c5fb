"""State machines per mock and per key: presets that require a state and move it on,
read, set and reset over the admin API, on every deployment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pretenders.server.core import state_machines
from tests.replies_state.helpers import add, refused, reply

pytestmark = pytest.mark.deployments


@pytest.fixture
def mock_id(new_mock: Callable[..., str]) -> str:
    return new_mock()


def order_flow(admin: httpx.Client, mock_id: str) -> None:
    """POST /orders/{id} creates, POST /orders/{id}/pay pays, GET says which, per order."""
    state = {"machine": "order", "key": "path:id"}
    forever = {"times": "FOREVER"}
    add(
        admin,
        mock_id,
        rule={"method": "POST", "path": "/orders/{id}"},
        state={**state, "requires": "start", "to": "created"},
        status=201,
        **forever,
    )
    add(
        admin,
        mock_id,
        rule={"method": "POST", "path": "/orders/{id}/pay"},
        state={**state, "requires": "created", "to": "paid"},
        **forever,
    )
    for name in ("created", "paid"):
        add(
            admin,
            mock_id,
            rule={"method": "GET", "path": "/orders/{id}"},
            state={**state, "requires": name},
            body=reply(name)["body"],
            **forever,
        )


def call(admin: httpx.Client, mock_id: str, method: str, path: str) -> httpx.Response:
    return admin.request(method, f"/mockhttp/{mock_id}{path}")


def test_two_orders_advance_apart(admin: httpx.Client, mock_id: str) -> None:
    order_flow(admin, mock_id)
    assert call(admin, mock_id, "POST", "/orders/1").status_code == 201
    assert call(admin, mock_id, "POST", "/orders/2").status_code == 201
    assert call(admin, mock_id, "POST", "/orders/1/pay").status_code == 200
    assert call(admin, mock_id, "GET", "/orders/1").text == "paid"
    assert call(admin, mock_id, "GET", "/orders/2").text == "created"
    assert call(admin, mock_id, "POST", "/orders/2/pay").status_code == 200
    assert call(admin, mock_id, "GET", "/orders/2").text == "paid"
    states = admin.get(f"/state/{mock_id}").json()
    assert states == [
        {"machine": "order", "key": "1", "state": "paid"},
        {"machine": "order", "key": "2", "state": "paid"},
    ]


def test_a_state_that_does_not_hold_tries_the_next_preset_and_explains_a_miss(
    admin: httpx.Client, mock_id: str
) -> None:
    order_flow(admin, mock_id)
    paid_twice = call(admin, mock_id, "POST", "/orders/9/pay")
    assert paid_twice.status_code == 404
    assert "state order[9] is start, requires created" in paid_twice.text
    missed = admin.get(f"/history/{mock_id}").json()[-1]
    difference = missed["near_misses"][0]["differences"][0]
    assert difference == {"field": "state order[9]", "expected": "created", "actual": "start"}
    assert admin.get(f"/state/{mock_id}").json() == []


def test_keys_from_headers_queries_cookies_and_json(admin: httpx.Client, mock_id: str) -> None:
    for source, to in [
        ("header:X-Session", "h"),
        ("query:session", "q"),
        ("cookie:session", "c"),
        ("json:$.order.id", "j"),
    ]:
        add(
            admin,
            mock_id,
            rule={"method": "POST", "path": f"/{to}"},
            state={"machine": to, "key": source, "to": "seen"},
        )
    mock = f"/mockhttp/{mock_id}"
    assert admin.post(f"{mock}/h", headers={"X-Session": "s1"}).status_code == 200
    assert admin.post(f"{mock}/q?session=s2").status_code == 200
    assert admin.post(f"{mock}/c", headers={"Cookie": "session=s3"}).status_code == 200
    assert admin.post(f"{mock}/j", json={"order": {"id": 42}}).status_code == 200
    states = admin.get(f"/state/{mock_id}").json()
    assert {(s["machine"], s["key"]) for s in states} == {
        ("c", "s3"),
        ("h", "s1"),
        ("j", "42"),
        ("q", "s2"),
    }


def test_a_request_without_its_key_does_not_match(admin: httpx.Client, mock_id: str) -> None:
    add(
        admin,
        mock_id,
        rule="POST /login",
        state={"machine": "session", "key": "header:X-Session", "to": "in"},
    )
    missed = admin.post(f"/mockhttp/{mock_id}/login")
    assert missed.status_code == 404
    assert "state session[?] is (no key: header:X-Session)" in missed.text


def test_an_unkeyed_machine_is_one_per_mock(admin: httpx.Client, mock_id: str) -> None:
    add(admin, mock_id, rule="POST /on", state={"machine": "power", "to": "on"}, times="FOREVER")
    add(
        admin,
        mock_id,
        rule="GET /",
        state={"machine": "power", "requires": "on"},
        body=reply("lit")["body"],
    )
    assert admin.get(f"/mockhttp/{mock_id}/").status_code == 404
    admin.post(f"/mockhttp/{mock_id}/on")
    assert admin.get(f"/mockhttp/{mock_id}/").text == "lit"
    assert admin.get(f"/state/{mock_id}").json() == [
        {"machine": "power", "key": None, "state": "on"}
    ]


def test_admin_sets_reads_and_resets_states(admin: httpx.Client, mock_id: str) -> None:
    order_flow(admin, mock_id)
    put = admin.put(f"/state/{mock_id}", json={"machine": "order", "key": "5", "state": "paid"})
    assert put.status_code == 200, put.text
    assert put.json() == {"machine": "order", "key": "5", "state": "paid"}
    assert call(admin, mock_id, "GET", "/orders/5").text == "paid"
    admin.put(f"/state/{mock_id}", json={"machine": "order", "key": "6", "state": "created"})
    admin.put(f"/state/{mock_id}", json={"machine": "other", "state": "x"})
    assert len(admin.get(f"/state/{mock_id}").json()) == 3

    assert admin.delete(f"/state/{mock_id}", params={"machine": "order", "key": "5"}).is_success
    assert call(admin, mock_id, "GET", "/orders/5").status_code == 404
    assert [s["key"] for s in admin.get(f"/state/{mock_id}").json()] == ["6", None]
    assert admin.delete(f"/state/{mock_id}", params={"machine": "order"}).is_success
    assert admin.get(f"/state/{mock_id}").json() == [
        {"machine": "other", "key": None, "state": "x"}
    ]
    assert admin.delete(f"/state/{mock_id}").is_success
    assert admin.get(f"/state/{mock_id}").json() == []


def test_states_go_with_their_mock(admin: httpx.Client) -> None:
    assert admin.post("/http", json={"name": "state-goes"}).status_code == 200
    admin.put("/state/state-goes", json={"machine": "m", "state": "s"})
    assert admin.delete("/http/state-goes").status_code == 200
    assert admin.get("/state/state-goes").status_code == 404
    assert admin.post("/http", json={"name": "state-goes"}).status_code == 200
    try:
        assert admin.get("/state/state-goes").json() == []
    finally:
        admin.delete("/http/state-goes")


def test_the_listing_shows_the_state(admin: httpx.Client, mock_id: str) -> None:
    state = {"machine": "order", "key": "path:id", "requires": "created", "to": "paid"}
    add(admin, mock_id, rule={"path": "/orders/{id}"}, state=state)
    assert admin.get(f"/preset/{mock_id}").json()[0]["state"] == state


@pytest.mark.parametrize(
    ("state", "field", "words"),
    [
        ({"machine": "has space"}, "state.machine", "without spaces"),
        ({"machine": ""}, "state.machine", "without spaces"),
        ({"machine": "m", "to": "a b"}, "state.to", "without spaces"),
        ({"machine": "m", "requires": "x" * 101}, "state.requires", "1 to 100"),
        ({"machine": "m", "key": "body:x"}, "state.key", "header:<Name>"),
        ({"machine": "m", "key": "path:id"}, "state.key", "needs a path template"),
        ({"machine": "m", "key": "json:$[?"}, "state.key", "JSONPath"),
        ({"machine": "m", "colour": "red"}, "state", "unknown field `colour`"),
        ({"key": "header:X"}, "state", "required field `machine`"),
    ],
)
def test_bad_states_are_refused_naming_the_field(
    admin: httpx.Client, mock_id: str, state: dict[str, Any], field: str, words: str
) -> None:
    error = refused(admin, mock_id, rule="GET /x", state=state)
    assert error["field"] == field, error
    assert words.lower() in error["message"].lower(), error


def test_a_path_key_names_a_parameter_of_the_rule(admin: httpx.Client, mock_id: str) -> None:
    error = refused(
        admin, mock_id, rule={"path": "/orders/{id}"}, state={"machine": "m", "key": "path:nr"}
    )
    assert error["field"] == "state.key"
    assert "'nr' is not a parameter" in error["message"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"machine": "m"}, "`state`"),
        ({"state": "s"}, "`machine`"),
        ({"machine": "a b", "state": "s"}, "machine"),
        ({"machine": "m", "state": ""}, "state"),
        ({"machine": "m", "key": "k" * 257, "state": "s"}, "key"),
        ({"machine": "m", "state": "s", "extra": 1}, "`extra`"),
        ({"machine": "m", "state": 3}, "state"),
    ],
)
def test_bad_state_puts_are_refused_naming_the_field(
    admin: httpx.Client, mock_id: str, body: dict[str, Any], named: str
) -> None:
    response = admin.put(f"/state/{mock_id}", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["field"] == named or named in error["message"], error
    assert admin.get(f"/state/{mock_id}").json() == []


def test_a_key_without_its_machine_is_refused(admin: httpx.Client, mock_id: str) -> None:
    response = admin.delete(f"/state/{mock_id}", params={"key": "5"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "key"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_unknown_mock_is_a_404(admin: httpx.Client, method: str) -> None:
    body = {"machine": "m", "state": "s"} if method == "PUT" else None
    response = admin.request(method, "/state/no-such-mock", json=body)
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "unknown_mock"


def test_past_the_most_instances_new_ones_are_refused(
    admin: httpx.Client, mock_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_machines, "MAX_STATE_KEYS", 2)
    add(
        admin,
        mock_id,
        rule={"method": "POST", "path": "/s/{id}"},
        state={"machine": "s", "key": "path:id", "to": "on"},
        times="FOREVER",
    )
    assert admin.post(f"/mockhttp/{mock_id}/s/1").status_code == 200
    assert admin.post(f"/mockhttp/{mock_id}/s/2").status_code == 200
    assert admin.post(f"/mockhttp/{mock_id}/s/1").status_code == 200  # not a new one
    refused_move = admin.post(f"/mockhttp/{mock_id}/s/3")
    assert refused_move.status_code == 404
    assert "state s[3] is start (the mock holds 2 instances, the most it may)" in (
        refused_move.text
    )
    put = admin.put(f"/state/{mock_id}", json={"machine": "s", "key": "4", "state": "on"})
    assert put.status_code == 409
    assert put.json()["errors"][0]["code"] == "too_many_states"
    assert "already holds 2 state instances" in put.json()["errors"][0]["message"]
    admin.put(f"/state/{mock_id}", json={"machine": "s", "key": "1", "state": "start"})
    assert admin.post(f"/mockhttp/{mock_id}/s/3").status_code == 200
