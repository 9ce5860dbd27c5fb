"""The web UI at 420 px (a phone, a split screen), in a real headless Chromium: the page never
scrolls sideways, no table cell is cut off, and a long URL wraps on a line of its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.chromium import chromium, missing
from tests.ui.screenshots import add_preset_form, http_traffic, preset, smtp_traffic

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

if missing() is None:
    from playwright.sync_api import expect

WIDTH = 420
LONG_PATH = (
    "/v1/customers/cus_" + "A" * 90 + "/invoices?expand=lines.data.price&limit=100"
    "&starting_after=in_" + "x" * 40
)

LAYOUT = """() => {
  const page = document.documentElement;
  const scrolls = (node) => {
    for (let up = node.parentElement; up; up = up.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  const shown = (node) => node.getClientRects().length > 0;
  const name = (node) => `${node.className} ${node.textContent.trim().slice(0, 30)}`;
  return {
    scrollWidth: page.scrollWidth,
    clientWidth: page.clientWidth,
    clippedCells: [...document.querySelectorAll("td, th")]
      .filter((cell) => shown(cell) && cell.scrollWidth > cell.clientWidth + 1)
      .map(name),
    wideTables: [...document.querySelectorAll("table")]
      .filter((table) => shown(table) && !scrolls(table)
        && table.getBoundingClientRect().right > page.clientWidth + 1)
      .map(name),
    unlabelled: [...document.querySelectorAll("table.stack > tbody > tr:not(.empty) > td")]
      .filter((cell) => shown(cell) && !cell.dataset.label)
      .filter((cell) => !cell.classList.contains("row-actions"))
      .map(name),
  };
}"""


@pytest.fixture(scope="module")
def traffic() -> Iterator[tuple[EmbeddedServer, str]]:
    """A server with the README screenshots' mocks, plus a request with a very long URL and
    header, and one with a binary body."""
    with EmbeddedServer() as server, httpx.Client(base_url=server.url, timeout=10) as client:
        http_traffic(client)
        smtp = smtp_traffic(client)
        preset(client, "payments-api", "GET /v1/customers/" + "B" * 120, b"long rule")
        mock = "/mockhttp/payments-api"
        client.get(mock + LONG_PATH, headers={"X-Trace": "t" * 150})
        client.post(mock + "/v1/files", content=bytes(range(256)) * 4)
        yield server, smtp


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Browser, traffic: tuple[EmbeddedServer, str]) -> Iterator[Page]:
    server, _ = traffic
    context = browser.new_context(base_url=server.url, viewport={"width": WIDTH, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def layout(page: Page) -> dict[str, Any]:
    page.wait_for_load_state()
    result: dict[str, Any] = page.evaluate(LAYOUT)
    return result


PAGES = {
    "mocks": "/",
    "http mock": "/ui/http/payments-api",
    "request": "/ui/http/payments-api/requests/1",
    "near miss": "/ui/http/payments-api/requests/3",
    "long URL": "/ui/http/payments-api/requests/5",
    "binary body": "/ui/http/payments-api/requests/6",
    "smtp mock": "/ui/smtp/signup-mails",
    "mail": "/ui/smtp/signup-mails/mails/2",
    "mail source": "/ui/smtp/signup-mails/mails/2?view=source",
    "mail headers": "/ui/smtp/signup-mails/mails/2?view=headers",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_nothing_scrolls_the_page_sideways_nor_is_cut_off(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200
    found = layout(page)
    assert found["scrollWidth"] <= found["clientWidth"] == WIDTH, found
    assert found["clippedCells"] == [], found
    assert found["wideTables"] == [], found
    assert found["unlabelled"] == [], found


def test_the_add_preset_form_fits(page: Page) -> None:
    page.goto("/ui/http/weather")
    add_preset_form(page)
    found = layout(page)
    assert found["scrollWidth"] <= found["clientWidth"], found
    assert page.locator("details.add-preset").locator("input:visible").count() >= 4
    for field in (
        page.locator("details.add-preset").locator("input:visible, textarea:visible").all()
    ):
        box = field.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box


def test_a_long_url_wraps_on_a_full_line(page: Page) -> None:
    page.goto("/ui/http/payments-api")
    url = page.locator('[data-table="requests"] code.url', has_text="cus_AAAA").first
    box = url.bounding_box()
    assert box is not None
    # The URL gets the row's width, not a narrow column: a few characters a line is unreadable.
    assert box["width"] >= WIDTH * 0.6, box
    assert box["x"] + box["width"] <= WIDTH, box


def test_a_row_added_live_is_labelled_like_the_others(
    page: Page, traffic: tuple[EmbeddedServer, str]
) -> None:
    server, _ = traffic
    page.goto("/ui/http/weather")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    httpx.get(f"{server.url}/mockhttp/weather/live/" + "z" * 120, timeout=10)
    row = page.locator('[data-table="requests"] tbody tr').first
    expect(row).to_contain_text("/live/zzz")
    labels = row.locator("td").evaluate_all("cells => cells.map(cell => cell.dataset.label)")
    assert labels == ["#", "Time", "Method", "URL", "Status", "Served by"]
    found = layout(page)
    assert found["scrollWidth"] <= found["clientWidth"] and found["unlabelled"] == [], found
