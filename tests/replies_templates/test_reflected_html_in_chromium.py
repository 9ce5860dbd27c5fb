"""A templated reply that reflects request data into HTML runs whatever script the request
carried, as a mock must; in Chromium that script still cannot read or change the admin API
(the sandbox policy sent with every reply makes its origin opaque, and the server refuses
``Origin: null``)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.chromium import chromium, missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

SECRET = "Bearer reflected-secret-0815"

REFLECTING_PAGE = "<!doctype html><title>search</title><p>Results for {{ request.query.q }}</p>"
"""A search page that echoes the query, unescaped (``template: true``)."""

INJECTED = """<script>
(async () => {
  const tries = {};
  for (const [name, url, options] of [
    ["list", "/http", {}],
    ["history", "/history/victim", {}],
    ["presets", "/preset/victim", {}],
    ["create", "/http", {method: "POST", headers: {"Content-Type": "application/json"},
                         body: JSON.stringify({name: "made-by-reflected-script"})}],
    ["openapi", "/openapi.json", {}],
    ["ui", "/ui/http", {}],
  ]) {
    try {
      const answer = await fetch(url, options);
      tries[name] = "read " + answer.status + " " + (await answer.text()).slice(0, 200);
    } catch (error) { tries[name] = "blocked"; }
  }
  try {
    await fetch("/http", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
                          body: JSON.stringify({name: "made-by-no-cors"})});
  } catch (error) {}
  document.title = "tried " + JSON.stringify(tries);
})();
</script>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def victim() -> Iterator[EmbeddedServer]:
    with EmbeddedServer() as running:
        with httpx.Client(base_url=running.url) as admin:
            admin.post("/http", json={"name": "victim"}).raise_for_status()
            admin.post(
                "/preset/victim",
                json={
                    "rule": "GET /search",
                    "template": True,
                    "headers": {"Content-Type": "text/html; charset=utf-8"},
                    "body": base64.b64encode(REFLECTING_PAGE.encode()).decode(),
                    "times": "FOREVER",
                },
            ).raise_for_status()
            # A request with a secret the script would like to read from the history.
            httpx.get(f"{running.url}/mockhttp/victim/api", headers={"Authorization": SECRET})
        yield running


def test_a_script_reflected_by_a_template_cannot_read_the_admin_api(
    browser: Browser, victim: EmbeddedServer
) -> None:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()

    answer = page.goto(f"{victim.url}/mockhttp/victim/search?q={quote(INJECTED)}")
    page.wait_for_function("document.title.startsWith('tried')")

    assert answer is not None and answer.status == 200
    assert "sandbox" in answer.headers["content-security-policy"]
    tries = json.loads(page.title().removeprefix("tried "))
    assert tries == dict.fromkeys(
        ["list", "history", "presets", "create", "openapi", "ui"], "blocked"
    ), tries
    with httpx.Client(base_url=victim.url) as admin:
        names = {mock["name"] for mock in admin.get("/http").json()}
        assert not names & {"made-by-reflected-script", "made-by-no-cors"}
        assert SECRET in admin.get("/history/victim").text  # it was there to steal
    context.close()
