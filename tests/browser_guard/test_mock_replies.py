"""Every mock reply runs sandboxed, in an opaque origin: never as the server's own pages."""

from __future__ import annotations

import base64

import httpx

from pretenders.server.core.presets import SANDBOX
from pretenders.server.embedded import EmbeddedServer
from tests.ui.conftest import csrf_tokens

POLICY = SANDBOX[0][1]


def preset(admin: httpx.Client, mock_id: str, headers: dict[str, str]) -> None:
    body = base64.b64encode(b"<script>fetch('/history/victim')</script>").decode()
    added = admin.post(
        f"/preset/{mock_id}",
        json={"rule": "GET /page", "headers": headers, "body": body, "times": "FOREVER"},
    )
    assert added.status_code == 200, added.text


def test_the_sandbox_keeps_scripts_but_not_the_server_s_origin() -> None:
    tokens = POLICY.split()

    assert tokens[0] == "sandbox"
    assert "allow-scripts" in tokens
    assert "allow-same-origin" not in tokens
    assert "allow-top-navigation" not in tokens
    assert "allow-popups-to-escape-sandbox" not in tokens


def test_a_reply_is_sent_with_the_sandboxing_policy(admin: httpx.Client) -> None:
    mock_id = admin.post("/http", json={}).json()["id"]
    preset(admin, mock_id, {"Content-Type": "text/html"})

    served = admin.get(f"/mockhttp/{mock_id}/page")

    assert served.status_code == 200
    assert served.headers.get_list("Content-Security-Policy") == [POLICY]
    assert served.headers["Content-Type"] == "text/html"
    admin.delete(f"/http/{mock_id}")


def test_a_policy_of_the_preset_s_own_is_sent_too_and_listed_alone(admin: httpx.Client) -> None:
    mock_id = admin.post("/http", json={}).json()["id"]
    own = "default-src 'self'"
    preset(admin, mock_id, {"Content-Type": "text/html", "Content-Security-Policy": own})

    served = admin.get(f"/mockhttp/{mock_id}/page")
    listed = admin.get(f"/preset/{mock_id}").json()

    assert served.headers.get_list("Content-Security-Policy") == [own, POLICY]
    assert listed[0]["headers"] == {"Content-Type": "text/html", "Content-Security-Policy": own}
    admin.delete(f"/http/{mock_id}")


def test_a_reply_added_in_the_ui_is_sandboxed_too(
    server: EmbeddedServer, admin: httpx.Client
) -> None:
    mock_id = admin.post("/http", json={}).json()["id"]
    page = f"/ui/http/{mock_id}"
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}) as ui:
        token = csrf_tokens(ui.get(page).text)[f"{page}/presets"]
        form = {"rule": "GET /page", "headers": "Content-Type: text/html", "body": "<b>hi</b>"}
        added = ui.post(
            f"{page}/presets",
            data={**form, "status": "200", "times": "1", "after": "0", "csrf_token": token},
        )
    assert added.status_code == 303, added.text

    served = admin.get(f"/mockhttp/{mock_id}/page")

    assert served.text == "<b>hi</b>"
    assert served.headers.get_list("Content-Security-Policy") == [POLICY]
    admin.delete(f"/http/{mock_id}")
