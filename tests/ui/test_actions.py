"""The UI's actions as a browser sends them, and the cross-site requests they refuse."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.conftest import csrf_tokens

PRESET = {
    "rule": "GET /hello",
    "match_headers": "",
    "body_rule": "",
    "status": "202",
    "headers": "Content-Type: text/plain\r\nX-From: form",
    "body": "line one\r\nline two",
    "times": "2",
    "after": "0",
}


def form_of(ui: httpx.Client, page: str, action: str) -> dict[str, str]:
    tokens = csrf_tokens(ui.get(page).text)
    assert action in tokens, sorted(tokens)
    return {"csrf_token": tokens[action]}


def test_create_a_mock_from_the_form(ui: httpx.Client, admin: httpx.Client) -> None:
    data = form_of(ui, "/", "/ui/mocks") | {
        "protocol": "http",
        "name": "from-form",
        "timeout": "30",
    }

    created = ui.post("/ui/mocks", data=data)

    assert created.status_code == 303
    assert created.headers["Location"] == "/ui/http/from-form"
    assert admin.get("/http/from-form").json()["timeout"] == "0:00:30"
    admin.delete("/http/from-form")


def test_bad_mock_form_is_shown_again_with_the_reason(ui: httpx.Client) -> None:
    data = form_of(ui, "/", "/ui/mocks") | {"protocol": "http", "name": "a b", "timeout": ""}

    refused = ui.post("/ui/mocks", data=data)

    assert refused.status_code == 400
    assert "may not contain" in refused.text
    assert 'value="a b"' in refused.text


def test_preset_from_the_form_serves_the_next_requests(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    action = f"/ui/http/{mock_id}/presets"
    data = form_of(ui, f"/ui/http/{mock_id}", action) | PRESET

    added = ui.post(action, data=data)
    served = admin.get(f"/mockhttp/{mock_id}/hello")

    assert added.status_code == 303
    assert added.headers["Location"] == f"/ui/http/{mock_id}#presets"
    assert served.status_code == 202
    assert served.text == "line one\nline two"
    assert served.headers["X-From"] == "form"
    assert admin.get(f"/preset/{mock_id}").json()[0]["times"] == 1


def test_preset_form_with_forever_delay_and_match_rules(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    action = f"/ui/http/{mock_id}/presets"
    data = form_of(ui, f"/ui/http/{mock_id}", action) | PRESET
    data |= {"forever": "1", "after": "0.5", "match_headers": "X-Key: k", "body_rule": "hi"}

    ui.post(action, data=data)
    preset = admin.get(f"/preset/{mock_id}").json()[0]

    assert preset["times"] == "FOREVER"
    assert preset["after"] == 0.5
    assert preset["rule"] == {
        "rule": "GET /hello",
        "headers": {"X-Key": "k"},
        "body": "hi",
        "data": None,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rule", "GET (", "invalid regular expression"),
        ("status", "99", "status must be between 100 and 999"),
        ("status", "ok", "status must be a whole number"),
        ("times", "0", "times must be a positive integer"),
        ("after", "-1", "after must be a number of seconds"),
        ("headers", "no colon here", "expected lines like"),
        ("body_rule", "[", "invalid regular expression"),
    ],
)
def test_bad_preset_form_is_shown_again_naming_the_field(
    ui: httpx.Client,
    admin: httpx.Client,
    new_mock: Callable[..., str],
    field: str,
    value: str,
    message: str,
) -> None:
    mock_id = new_mock()
    action = f"/ui/http/{mock_id}/presets"
    data = form_of(ui, f"/ui/http/{mock_id}", action) | PRESET | {field: value}

    refused = ui.post(action, data=data)

    assert refused.status_code == 400
    assert message in refused.text
    assert "invalid" in refused.text.split(f'name="{field}"', 1)[0].rsplit("<label", 1)[1]
    assert admin.get(f"/preset/{mock_id}").json() == []


def test_delete_a_preset_reset_and_delete_a_mock(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    for rule in ("GET /a", "GET /b"):
        admin.post(f"/preset/{mock_id}", json={"rule": rule, "body": ""})
    admin.get(f"/mockhttp/{mock_id}/nothing")
    page = f"/ui/http/{mock_id}"
    tokens = csrf_tokens(ui.get(page).text)

    ui.post(f"{page}/presets/0/delete", data={"csrf_token": tokens[f"{page}/presets/0/delete"]})
    assert [p["rule"]["rule"] for p in admin.get(f"/preset/{mock_id}").json()] == ["GET /b"]

    ui.post(f"{page}/reset", data={"csrf_token": tokens[f"{page}/reset"]})
    assert admin.get(f"/preset/{mock_id}").json() == []
    assert admin.get(f"/history/{mock_id}").json() == []

    deleted = ui.post(f"{page}/delete", data={"csrf_token": tokens[f"{page}/delete"]})
    assert deleted.headers["Location"] == "/"
    assert admin.get(f"/http/{mock_id}").status_code == 404


def test_actions_without_the_token_are_refused(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()

    refused = ui.post(f"/ui/http/{mock_id}/delete", data={})

    assert refused.status_code == 403
    assert "CSRF token" in refused.text
    assert admin.get(f"/http/{mock_id}").status_code == 200


def test_a_token_is_good_for_its_own_action_only(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    page = f"/ui/http/{mock_id}"
    reset_token = csrf_tokens(ui.get(page).text)[f"{page}/reset"]

    refused = ui.post(f"{page}/delete", data={"csrf_token": reset_token})

    assert refused.status_code == 403
    assert admin.get(f"/http/{mock_id}").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": None, "Sec-Fetch-Site": "cross-site"},
        {"Origin": None, "Sec-Fetch-Site": "same-site"},
    ],
    ids=["other-origin", "opaque-origin", "cross-site", "same-site"],
)
def test_cross_site_requests_are_refused_even_with_a_token(
    server: EmbeddedServer,
    ui: httpx.Client,
    admin: httpx.Client,
    new_mock: Callable[..., str],
    headers: dict[str, str | None],
) -> None:
    mock_id = new_mock()
    page = f"/ui/http/{mock_id}"
    token = csrf_tokens(ui.get(page).text)[f"{page}/delete"]
    sent = {name: value for name, value in headers.items() if value is not None}

    with httpx.Client(base_url=server.url, headers=sent) as browser:
        refused = browser.post(f"{page}/delete", data={"csrf_token": token})

    assert refused.status_code == 403
    assert "cross-site request" in refused.text
    assert admin.get(f"/http/{mock_id}").status_code == 200


def test_actions_are_posts_only(ui: httpx.Client, new_mock: Callable[..., str]) -> None:
    mock_id = new_mock()

    assert ui.get(f"/ui/http/{mock_id}/delete").status_code == 405
