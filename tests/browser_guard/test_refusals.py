"""Requests a browser marks as cross-site, or sends to a name the server does not answer
to, are refused before they change anything; programs' requests are not."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.conftest import csrf_tokens

CROSS_SITE = [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://127.0.0.1:1"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
]
CROSS_SITE_IDS = ["other-origin", "opaque-origin", "other-port", "cross-site", "same-site"]
TOKEN = "guard-token"


def post_text(url: str, document: object, headers: dict[str, str]) -> httpx.Response:
    """POST a JSON body as ``text/plain``, which a page may send anywhere without asking."""
    sent = {"Content-Type": "text/plain", **headers}
    return httpx.post(url, content=json.dumps(document), headers=sent)


def message(response: httpx.Response) -> str:
    assert response.headers["Content-Type"].startswith("application/json")
    errors = response.json()["errors"]
    assert len(errors) == 1
    return str(errors[0]["message"])


@pytest.fixture(scope="module")
def secured() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(admin_token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def named() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(allowed_hosts=("evil.example",)) as running:
        yield running


@pytest.mark.parametrize("headers", CROSS_SITE, ids=CROSS_SITE_IDS)
def test_a_cross_site_page_cannot_create_a_mock(
    server: EmbeddedServer, admin: httpx.Client, headers: dict[str, str]
) -> None:
    refused = post_text(f"{server.url}/http", {"name": "cross-site-made"}, headers)

    assert refused.status_code == 403
    assert "cross-site request" in message(refused)
    assert "No option allows that" in message(refused)
    assert admin.get("/http/cross-site-made").status_code == 404


@pytest.mark.parametrize("headers", CROSS_SITE, ids=CROSS_SITE_IDS)
def test_a_cross_site_page_cannot_add_a_preset_nor_read_history(
    server: EmbeddedServer, admin: httpx.Client, headers: dict[str, str]
) -> None:
    mock_id = admin.post("/http", json={"name": "victim"}).json()["id"]
    assert httpx.get(f"{server.url}/mockhttp/victim/x", headers={"Authorization": "Bearer s"})
    preset = {"rule": "GET /x", "body": base64.b64encode(b"<script>").decode()}

    added = post_text(f"{server.url}/preset/{mock_id}", preset, headers)
    read = httpx.get(f"{server.url}/history/{mock_id}", headers=headers)

    assert (added.status_code, read.status_code) == (403, 403)
    assert "Bearer" not in read.text
    assert admin.get(f"/preset/{mock_id}").json() == []
    admin.delete(f"/http/{mock_id}")


@pytest.mark.parametrize("headers", CROSS_SITE, ids=CROSS_SITE_IDS)
def test_a_token_the_browser_holds_does_not_let_a_cross_site_request_through(
    secured: EmbeddedServer, headers: dict[str, str]
) -> None:
    basic = base64.b64encode(f"me:{TOKEN}".encode()).decode()
    sent = {**headers, "Authorization": f"Basic {basic}"}

    refused = post_text(f"{secured.url}/http", {"name": "with-token"}, sent)
    ui = httpx.get(f"{secured.url}/", headers=sent)

    assert (refused.status_code, ui.status_code) == (403, 403)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(f"{secured.url}/http/with-token", headers=bearer).status_code == 404


def test_without_the_token_a_cross_site_request_is_refused_before_being_asked_for_it(
    secured: EmbeddedServer,
) -> None:
    refused = httpx.post(f"{secured.url}/http", headers={"Origin": "http://evil.example"})

    assert refused.status_code == 403
    assert "WWW-Authenticate" not in refused.headers


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "{url}", "Sec-Fetch-Site": "same-origin"},
    ],
    ids=["program", "same-origin", "typed-address", "own-page"],
)
def test_programs_and_the_server_s_own_pages_are_served(
    server: EmbeddedServer, headers: dict[str, str]
) -> None:
    sent = {name: value.format(url=server.url) for name, value in headers.items()}

    created = httpx.post(f"{server.url}/http", json={}, headers=sent)

    assert created.status_code == 200, created.text
    assert httpx.delete(f"{server.url}/http/{created.json()['id']}").status_code == 200


@pytest.mark.parametrize("path", ["/http", "/openapi.json", "/tls/certificate", "/nowhere"])
def test_a_name_the_server_does_not_answer_to_is_refused_for_the_api(
    server: EmbeddedServer, path: str
) -> None:
    refused = httpx.get(f"{server.url}{path}", headers={"Host": f"evil.example:{server.port}"})

    assert refused.status_code == 403
    assert "start the server with --allowed-host evil.example" in message(refused)
    assert "PRETENDERS_ALLOWED_HOSTS" in message(refused)


def test_a_rebound_name_cannot_create_a_mock_nor_read_history(
    server: EmbeddedServer, admin: httpx.Client
) -> None:
    mock_id = admin.post("/http", json={}).json()["id"]
    rebound = {
        "Host": f"evil.example:{server.port}",
        "Origin": f"http://evil.example:{server.port}",
    }

    created = post_text(f"{server.url}/http", {"name": "rebound"}, rebound)
    read = httpx.get(f"{server.url}/history/{mock_id}", headers=rebound)

    assert (created.status_code, read.status_code) == (403, 403)
    assert admin.get("/http/rebound").status_code == 404
    admin.delete(f"/http/{mock_id}")


def test_a_rebound_name_cannot_use_the_ui_even_with_a_scraped_csrf_token(
    server: EmbeddedServer, admin: httpx.Client
) -> None:
    own = httpx.get(f"{server.url}/", headers={"Origin": server.url}).text
    token = csrf_tokens(own)["/ui/mocks"]
    rebound = {
        "Host": f"evil.example:{server.port}",
        "Origin": f"http://evil.example:{server.port}",
    }

    page = httpx.get(f"{server.url}/", headers=rebound)
    posted = httpx.post(
        f"{server.url}/ui/mocks", data={"name": "rebound-ui", "csrf_token": token}, headers=rebound
    )

    assert (page.status_code, posted.status_code) == (403, 403)
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "--allowed-host evil.example" in page.text
    assert admin.get("/http/rebound-ui").status_code == 404


@pytest.mark.parametrize(
    "host", ["localhost", "app.localhost", "127.0.0.2", "[::1]", "10.20.30.40", "192.168.1.9"]
)
def test_loopback_names_and_ip_addresses_are_answered(server: EmbeddedServer, host: str) -> None:
    answered = httpx.get(f"{server.url}/http", headers={"Host": f"{host}:{server.port}"})

    assert answered.status_code == 200, answered.text


def test_an_allowed_name_is_answered_for_the_api_and_the_ui(named: EmbeddedServer) -> None:
    name = f"evil.example:{named.port}"
    headers = {"Host": name, "Origin": f"http://{name}"}

    api = httpx.post(f"{named.url}/http", json={"name": "by-name"}, headers=headers)
    page = httpx.get(f"{named.url}/", headers={"Host": name})
    token = csrf_tokens(page.text)["/ui/mocks"]
    form = httpx.post(
        f"{named.url}/ui/mocks", data={"name": "by-name-ui", "csrf_token": token}, headers=headers
    )

    assert api.status_code == 200, api.text
    assert page.status_code == 200
    assert form.status_code == 303, form.text
    assert httpx.get(f"{named.url}/http/by-name-ui").status_code == 200
    other = httpx.get(f"{named.url}/http", headers={"Host": f"other.example:{named.port}"})
    assert other.status_code == 403


def test_a_star_answers_any_name() -> None:
    with EmbeddedServer(allowed_hosts=("*",)) as running:
        answered = httpx.get(f"{running.url}/http", headers={"Host": "anything.example"})
        cross = httpx.get(f"{running.url}/http", headers={"Origin": "http://anything.example"})

    assert answered.status_code == 200
    assert cross.status_code == 403  # a name is allowed, never another site


def test_health_and_mocks_answer_whatever_the_name_and_the_origin(
    server: EmbeddedServer, admin: httpx.Client
) -> None:
    mock_id = admin.post("/http", json={}).json()["id"]
    anyone = {"Host": "pretenders:8000", "Origin": "http://evil.example"}

    health = httpx.get(f"{server.url}/health", headers=anyone)
    mock = httpx.get(f"{server.url}/mockhttp/{mock_id}/x", headers=anyone)
    encoded = httpx.get(f"{server.url}/%6Dockhttp/{mock_id}/y", headers=anyone)

    assert health.status_code == 200
    assert (mock.status_code, encoded.status_code) == (404, 404)  # served: no preset
    assert len(admin.get(f"/history/{mock_id}").json()) == 2
    admin.delete(f"/http/{mock_id}")


def test_a_cross_site_link_to_a_ui_page_offers_to_open_it_from_there(
    server: EmbeddedServer,
) -> None:
    followed = httpx.get(
        f"{server.url}/?x=<b>",
        headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
    )

    assert followed.status_code == 403
    assert '<a href="/?x=%3Cb%3E">Open this page</a>' in followed.text


@pytest.mark.parametrize("path", ["/", "/ui/events", "/ui/static/app.js", "/ui/http/some-mock"])
def test_every_ui_route_refuses_another_site(server: EmbeddedServer, path: str) -> None:
    cross = httpx.get(f"{server.url}{path}", headers={"Sec-Fetch-Site": "cross-site"})
    own = {"Sec-Fetch-Site": "same-origin"}
    with httpx.stream("GET", f"{server.url}{path}", headers=own) as answer:  # events never end
        own_status = answer.status_code

    assert cross.status_code == 403
    assert cross.headers["Content-Type"].startswith("text/html")
    assert own_status in (200, 404)
