"""Live UI events stay small whatever the number of presets, and the page keeps up."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.chromium import missing
from tests.ui.test_live import events, subscribed

if TYPE_CHECKING:
    from playwright.sync_api import Page

if missing() is None:
    from playwright.sync_api import expect

PRESETS = 1_000


def many_presets(admin: httpx.Client, mock_id: str) -> None:
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /served", "times": 3})
    for n in range(1, PRESETS):
        admin.post(f"/preset/{mock_id}", json={"rule": f"GET /never/{n}", "times": "FOREVER"})


@pytest.mark.slow
def test_an_event_describes_only_the_preset_that_served(
    server: EmbeddedServer, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    many_presets(admin, mock_id)
    with (
        httpx.Client(base_url=server.url, timeout=10) as browser,
        browser.stream("GET", "/ui/events", params={"mock": mock_id}) as stream,
    ):
        lines = stream.iter_lines()
        subscribed(lines)
        admin.get(f"/mockhttp/{mock_id}/served")
        admin.get(f"/mockhttp/{mock_id}/unknown")
        received = events(lines)
        served, missed = (next(received)[1] for _ in range(2))

    assert len(served) < 2_000  # it was about 80 bytes per preset: 80 KB here
    event = json.loads(served)
    assert event["presets"] == PRESETS
    assert event["preset"] == {"id": "0", "gone": False, "times": "2", "served": 1}
    assert json.loads(missed)["preset"] is None


@pytest.mark.browser
@pytest.mark.skipif(missing() is not None, reason=str(missing()))
def test_the_page_updates_the_served_preset_and_notices_new_ones(
    page: Page, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /a", "times": 2})
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /b", "times": "FOREVER"})
    page.goto(f"/ui/http/{mock_id}")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")

    admin.get(f"/mockhttp/{mock_id}/b")
    served = page.locator('tr[data-preset="1"] [data-field="served"]')
    expect(served).to_have_text("1")
    admin.get(f"/mockhttp/{mock_id}/a")
    expect(page.locator('tr[data-preset="0"] [data-field="times"]')).to_have_text("1")
    admin.get(f"/mockhttp/{mock_id}/a")
    expect(page.locator('tr[data-preset="0"]')).to_have_count(0)  # used up
    expect(page.locator('[data-count="presets"]')).to_have_text("1")
    expect(page.locator(".notice")).to_have_count(0)

    admin.post(f"/preset/{mock_id}", json={"rule": "GET /c"})
    admin.get(f"/mockhttp/{mock_id}/b")
    expect(page.locator('[data-count="presets"]')).to_have_text("2")
    expect(page.locator(".notice")).to_contain_text("The presets changed.")
    page.locator(".notice a").click()
    expect(page.locator('tr[data-preset="2"]')).to_have_count(1)
