"""The UI in a real Chromium behind --admin-token: the browser signs in with Basic auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.chromium import missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

if missing() is None:
    from playwright.sync_api import expect

TOKEN = "ui-token"


@pytest.fixture(scope="module")
def secured() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(admin_token=TOKEN) as server:
        yield server


def test_without_credentials_the_browser_is_asked_for_them(
    browser: Browser, secured: EmbeddedServer
) -> None:
    from playwright.sync_api import Error

    context = browser.new_context(base_url=secured.url)
    try:
        # Headless Chromium cannot prompt: it gives up on the Basic challenge.
        with pytest.raises(Error, match="ERR_INVALID_AUTH_CREDENTIALS"):
            context.new_page().goto("/")
    finally:
        context.close()


def test_signed_in_the_ui_works_forms_and_live_feed_included(
    browser: Browser, secured: EmbeddedServer
) -> None:
    context = browser.new_context(
        base_url=secured.url, http_credentials={"username": "me", "password": TOKEN}
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/")
        page.locator('input[name="name"]').fill("signed-in")
        page.get_by_role("button", name="New mock").click()  # CSRF-checked, as before
        expect(page.locator("h1")).to_have_text("signed-in")
        expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
        assert httpx.get(f"{secured.url}/mockhttp/signed-in/ping").status_code == 404
        row = page.locator('[data-table="requests"] tbody tr').first
        expect(row).to_contain_text("/ping")
    finally:
        context.close()
