"""Every route of the 1.4 wire protocol, driven with plain HTTP (no pretenders client)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.deployments

TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def preset(rule: object = "", body: bytes = b"", **fields: object) -> dict[str, object]:
    return {"rule": rule, "body": b64(body), **fields}


def test_post_http_creates_a_mock_with_a_generated_id(admin: httpx.Client) -> None:
    created = admin.post("/http", json={"name": None})
    assert created.status_code == 200
    body = created.json()
    assert set(body) == {"id", "path"}
    assert body["path"] == f"/mockhttp/{body['id']}"
    assert len(body["id"]) == 36  # a uuid4, as in 1.4


def test_post_http_joins_by_name(admin: httpx.Client) -> None:
    first = admin.post("/http", json={"name": "wire-join", "pretender_timeout": 30}).json()
    second = admin.post("/http", json={"name": "wire-join"}).json()
    assert first == second == {"id": "wire-join", "path": "/mockhttp/wire-join"}


def test_get_http_id_has_exactly_the_five_1_4_keys(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    mock_id = new_mock(pretender_timeout=5)
    info = admin.get(f"/http/{mock_id}").json()
    assert set(info) == {"name", "protocol", "start", "last_call", "timeout"}
    assert info["name"] == mock_id
    assert info["protocol"] == "http"
    assert TIME.match(info["start"]) and TIME.match(info["last_call"])
    assert info["timeout"] == "0:00:05"


def test_timeout_strings(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    assert admin.get(f"/http/{new_mock()}").json()["timeout"] == "0:02:00"
    forever = new_mock(pretender_timeout="FOREVER")
    assert admin.get(f"/http/{forever}").json()["timeout"] == "FOREVER"
    long = new_mock(pretender_timeout=93600)
    assert admin.get(f"/http/{long}").json()["timeout"] == "26:00:00"


def test_get_http_lists_the_same_objects(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    mock_id = new_mock()
    listed = admin.get("/http").json()
    assert admin.get(f"/http/{mock_id}").json() in listed


def test_get_unknown_mock_is_404_with_a_reason(admin: httpx.Client) -> None:
    response = admin.get("/http/never-made")
    assert response.status_code == 404
    assert "never-made" in response.json()["errors"][0]["message"]


def test_delete_mock_removes_presets_and_history(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    mock_id = new_mock(name="wire-recreated")
    admin.post(f"/preset/{mock_id}", json=preset("GET /x", b"x"))
    admin.get(f"/mockhttp/{mock_id}/y")
    assert admin.delete(f"/http/{mock_id}").status_code == 200
    assert admin.get(f"/http/{mock_id}").status_code == 404
    assert admin.get(f"/history/{mock_id}").json() == []
    assert admin.delete(f"/http/{mock_id}").status_code == 404
    again = new_mock(name="wire-recreated")
    assert again == mock_id
    assert admin.get(f"/history/{again}").json() == []
    assert admin.get(f"/preset/{again}").json() == []
    admin.delete(f"/http/{again}")


def test_delete_stale_prunes_only_idle_mocks(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    kept = new_mock(pretender_timeout="FOREVER")
    assert admin.delete("/http", params={"stale": 1}).status_code == 200
    assert admin.get(f"/http/{kept}").status_code == 200
    refused = admin.delete("/http")
    assert refused.status_code == 400
    assert "stale=1" in refused.json()["errors"][0]["message"]
    admin.delete(f"/http/{kept}")


def test_post_preset_then_list_and_clear(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    mock_id = new_mock()
    rule = {"rule": "GET /a", "headers": {"X-A": "1"}, "body": None, "data": None}
    added = admin.post(f"/preset/{mock_id}", json=preset(rule, b"A", status=201, times=2))
    assert added.status_code == 200
    listed = admin.get(f"/preset/{mock_id}").json()
    assert len(listed) == 1
    assert listed[0]["rule"] == rule
    assert (listed[0]["status"], listed[0]["times"], listed[0]["after"]) == (201, 2, 0)
    assert base64.b64decode(listed[0]["body"]) == b"A"
    admin.get(f"/mockhttp/{mock_id}/a", headers={"X-A": "1"})
    assert admin.get(f"/preset/{mock_id}").json()[0]["times"] == 1
    assert admin.delete(f"/preset/{mock_id}").status_code == 200
    assert admin.get(f"/preset/{mock_id}").json() == []


def test_a_bare_string_rule_is_accepted(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    mock_id = new_mock()
    admin.post(f"/preset/{mock_id}", json=preset("", b"any"))
    assert admin.get(f"/mockhttp/{mock_id}/whatever").content == b"any"


def test_preset_for_unknown_mock_is_404(admin: httpx.Client) -> None:
    response = admin.post("/preset/never-made", json=preset("GET /x"))
    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == "No matching http mock: never-made"


def test_unknown_ids_answer_empty_lists(admin: httpx.Client) -> None:
    assert admin.get("/history/never-made").json() == []
    assert admin.get("/preset/never-made").json() == []
    assert admin.delete("/history/never-made").status_code == 200
    assert admin.delete("/preset/never-made").status_code == 200


def test_history_records_and_positions(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    mock_id = new_mock()
    admin.post(f"/preset/{mock_id}", json=preset("POST /p", b"ok"))
    admin.post(f"/mockhttp/{mock_id}/p?x=1", content=b"\x00\xff", headers={"X-Y": "z"})
    admin.get(f"/mockhttp/{mock_id}/q")
    history = admin.get(f"/history/{mock_id}").json()
    assert [h["url"] for h in history] == ["/p?x=1", "/q"]
    first = admin.get(f"/history/{mock_id}/0").json()
    assert first == history[0]
    assert first["method"] == "POST"
    assert first["rule"] == "POST /p?x=1"
    assert base64.b64decode(first["body"]) == b"\x00\xff"
    assert first["headers"]["X-Y"] == "z"
    assert (first["status"], first["preset"]) == (200, 0)
    assert (history[1]["status"], history[1]["preset"]) == (404, None)
    assert TIME.match(first["time"])
    assert admin.get(f"/history/{mock_id}/-1").json() == history[1]
    missing = admin.get(f"/history/{mock_id}/2")
    assert missing.status_code == 404
    assert "position 2" in missing.json()["errors"][0]["message"]
    assert admin.delete(f"/history/{mock_id}").status_code == 200
    assert admin.get(f"/history/{mock_id}").json() == []


def test_mock_endpoint_without_a_path(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    mock_id = new_mock()
    admin.post(f"/preset/{mock_id}", json=preset("GET ", b"root", times="FOREVER"))
    assert admin.get(f"/mockhttp/{mock_id}").content == b"root"
    assert admin.get(f"/mockhttp/{mock_id}?a=b").content == b"root"
    assert [h["url"] for h in admin.get(f"/history/{mock_id}").json()] == ["", "?a=b"]


def test_unknown_mock_endpoint_is_404_and_names_the_mock(admin: httpx.Client) -> None:
    response = admin.get("/mockhttp/never-made/x")
    assert response.status_code == 404
    assert "never-made" in response.text


def test_repeated_request_headers_are_joined(admin: httpx.Client, new_mock) -> None:  # type: ignore[no-untyped-def]
    mock_id = new_mock()
    admin.get(f"/mockhttp/{mock_id}/x", headers=[("X-Many", "a"), ("X-Many", "b")])
    assert admin.get(f"/history/{mock_id}/0").json()["headers"]["X-Many"] == "a, b"


def test_smtp_routes_list_and_inspect(admin: httpx.Client) -> None:
    assert admin.get("/smtp").status_code == 200
    assert admin.get("/smtp/never-made").status_code == 404
    assert admin.delete("/smtp", params={"stale": 1}).status_code == 200


def test_name_used_by_the_other_protocol_is_a_conflict(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    new_mock(name="wire-taken")
    response = admin.post("/smtp", json={"name": "wire-taken"})
    assert response.status_code == 409
    assert "taken by an HTTP mock" in response.json()["errors"][0]["message"]
    admin.delete("/http/wire-taken")


def test_mock_reached_through_the_router_with_an_encoded_prefix(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    admin.post(f"/preset/{mock_id}", json=preset("GET /x", b"found", times="FOREVER"))
    raw = httpx.URL(str(admin.base_url)).copy_with(raw_path=f"/mock%68ttp/{mock_id}/x".encode())
    assert admin.get(raw).content == b"found"
    assert admin.get(f"/mockhttp/{mock_id}/x").content == b"found"
