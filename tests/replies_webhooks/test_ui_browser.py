"""Webhook calls in the UI, in a real headless Chromium: the preset lists its webhook, the
call appears in the history without a reload, and its page says how it went."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.replies_webhooks.receiver import Receiver
from tests.ui.chromium import chromium, missing
from tests.ui.conftest import dialogs, page  # noqa: F401 - fixtures used here

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

if missing() is None:
    from playwright.sync_api import expect


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A Chromium of this module's own: the UI tests' session-wide one would keep
    Playwright's event loop running in this thread until the session ends, and the tests
    run after this module (asyncio.run in the main thread) could no longer start theirs."""
    with chromium() as running:
        yield running


def test_a_webhook_call_shows_live_and_on_its_page(
    page: Page,  # noqa: F811 - the fixture imported above
    new_mock: Callable[..., str],
    admin: httpx.Client,
    receiver: Receiver,
) -> None:
    mock_id = new_mock()
    webhook = {"url": receiver.url + "/ui-hook", "method": "PATCH"}
    admin.post(f"/preset/{mock_id}", json={"rule": "", "status": 202, "webhooks": [webhook]})
    page.goto(f"/ui/http/{mock_id}")
    expect(page.locator('[data-field="webhook"]')).to_contain_text(f"PATCH {receiver.url}/ui-hook")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")

    admin.post(f"/mockhttp/{mock_id}/orders")

    rows = page.locator('[data-table="requests"] tbody tr')
    expect(rows).to_have_count(2)
    call = rows.first  # newest first
    expect(call).to_contain_text(f"{receiver.url}/ui-hook")
    expect(call).to_contain_text("webhook of preset 0")
    expect(call.locator(".badge")).to_have_text("200")
    call.get_by_role("link").first.click()
    expect(page.locator('[data-field="outcome"]')).to_have_text("answered 200")
