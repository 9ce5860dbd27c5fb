"""The UI in a real headless Chromium: what a person doing manual tests sees and does.

Script execution is checked in the browser itself: hostile values would set
``window.__pwned``, change the title, rewrite a probe element or open a dialog.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from typing import TYPE_CHECKING

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.chromium import missing
from tests.ui.conftest import SmtpMockInfo, send_mail

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

if missing() is None:
    from playwright.sync_api import expect

HOSTILE = (
    "<script>window.__pwned = 1; document.title = 'pwned'; alert('script')</script>"
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\">"
    '<svg onload="window.__pwned = 3"></svg>'
)


def assert_no_script_ran(page: Page, dialogs: list[str]) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title() != "pwned"
    assert dialogs == []


def live(page: Page) -> None:
    """Wait until the page's event stream is open: from then on, it is told of every record."""
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")


def test_mocks_page_lists_a_mock_created_through_the_api(
    page: Page, new_mock: Callable[..., str], admin: httpx.Client
) -> None:
    mock_id = new_mock(name="browser-listed", pretender_timeout=300)
    admin.get(f"/mockhttp/{mock_id}/ping")

    page.goto("/")

    row = page.locator('tr[data-mock="browser-listed"]')
    expect(row.get_by_role("link", name="browser-listed")).to_be_visible()
    expect(row.locator('[data-field="records"]')).to_have_text("1")
    expect(row).to_contain_text("/mockhttp/browser-listed")
    row.get_by_role("link", name="browser-listed").click()
    expect(page.locator("h1")).to_have_text("browser-listed")


def test_a_request_appears_on_its_mock_page_without_a_reload(
    page: Page, new_mock: Callable[..., str], admin: httpx.Client
) -> None:
    mock_id = new_mock()
    page.goto(f"/ui/http/{mock_id}")
    live(page)
    page.evaluate("window.__same_page = true")

    admin.put(f"/mockhttp/{mock_id}/orders/42?notify=yes", content=b"{}")

    row = page.locator('[data-table="requests"] tbody tr').first
    expect(row).to_contain_text("/orders/42?notify=yes")
    expect(row).to_contain_text("PUT")
    expect(row.locator(".badge")).to_have_text("404")
    expect(page.locator('[data-count="records"]')).to_have_text("1")
    assert page.evaluate("window.__same_page") is True


def test_a_preset_added_through_the_form_serves_the_next_request(
    page: Page, new_mock: Callable[..., str], admin: httpx.Client
) -> None:
    mock_id = new_mock()
    page.goto(f"/ui/http/{mock_id}")

    page.get_by_label("Rule").fill("GET /greeting")
    page.get_by_label("Status").fill("202")
    page.locator('textarea[name="headers"]').fill("Content-Type: text/plain\nX-Set-By: form")
    page.locator('textarea[name="body"]').fill("Hello from the form")
    page.get_by_role("button", name="Add preset").click()

    preset = page.locator('tr[data-preset="0"]')
    expect(preset).to_contain_text("GET /greeting")
    expect(preset.locator('[data-field="times"]')).to_have_text("1")
    live(page)
    served = admin.get(f"/mockhttp/{mock_id}/greeting")
    assert (served.status_code, served.text) == (202, "Hello from the form")
    assert served.headers["X-Set-By"] == "form"
    expect(page.locator('[data-table="requests"] tbody tr').first).to_contain_text("preset 0")
    expect(preset).to_have_count(0)  # used up: gone from the page, as from the mock


def test_a_hostile_request_runs_no_script_live_or_opened(
    page: Page, dialogs: list[str], new_mock: Callable[..., str], admin: httpx.Client
) -> None:
    mock_id = new_mock()
    page.goto(f"/ui/http/{mock_id}")
    live(page)

    admin.post(
        f"/mockhttp/{mock_id}/x",
        params={"q": HOSTILE},
        content=HOSTILE.encode(),
        headers={"Content-Type": "text/html", "X-Evil": HOSTILE},
    )
    row = page.locator('[data-table="requests"] tbody tr').first
    expect(row).to_contain_text("/x?q=%3Cscript%3E")
    assert_no_script_ran(page, dialogs)

    row.get_by_role("link").first.click()
    expect(page.locator("pre.code")).to_have_text(HOSTILE)
    expect(page.get_by_role("cell", name=HOSTILE).first).to_be_visible()
    assert_no_script_ran(page, dialogs)


def test_hostile_mock_names_stay_text(
    page: Page, dialogs: list[str], new_mock: Callable[..., str], admin: httpx.Client
) -> None:
    name = "x\"'><i>y<b>"
    mock_id = new_mock(name=name)
    admin.get(f"/mockhttp/{httpx.URL(path=mock_id).raw_path.decode()}/a")

    page.goto("/")
    expect(page.get_by_role("link", name=name)).to_be_visible()
    page.get_by_role("link", name=name).click()

    expect(page.locator("h1")).to_have_text(name)
    assert page.locator("h1 i, h1 b").count() == 0
    assert page.locator("body").get_attribute("data-live") == name
    live(page)
    assert_no_script_ran(page, dialogs)


def welcome_mail(html: str) -> bytes:
    message = EmailMessage()
    message["Subject"] = "Welcome aboard"
    message["From"] = "Acme <hello@acme.test>"
    message["To"] = "ada@example.com"
    message.set_content("Welcome, in plain text.")
    message.add_alternative(html, subtype="html")
    message.add_attachment(
        b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="invoice-7.pdf"
    )
    return message.as_bytes(policy=policy.SMTP)


def test_an_html_mail_is_shown_and_its_attachment_downloads(
    page: Page, smtp_mock: SmtpMockInfo
) -> None:
    send_mail(smtp_mock, welcome_mail('<h2 id="hello">Hello Ada</h2><p>Your account.</p>'))
    page.goto(f"/ui/smtp/{smtp_mock.id}")
    page.get_by_role("link", name="Welcome aboard").click()

    expect(page.locator("h1")).to_have_text("Welcome aboard")
    frame = page.frame_locator("iframe.mail-frame")
    expect(frame.locator("#hello")).to_have_text("Hello Ada")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="invoice-7.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "invoice-7.pdf"
    with open(download.path(), "rb") as saved:
        assert saved.read() == b"%PDF-1.4 invoice"


def test_a_mail_appears_on_its_mock_page_without_a_reload(
    page: Page, smtp_mock: SmtpMockInfo
) -> None:
    page.goto(f"/ui/smtp/{smtp_mock.id}")
    live(page)

    send_mail(smtp_mock, welcome_mail("<p>hi</p>"), rcpt_tos=("ada@example.com",))

    row = page.locator('[data-table="mails"] tbody tr').first
    expect(row).to_contain_text("Welcome aboard")
    expect(row).to_contain_text("Acme <hello@acme.test>")
    row.get_by_role("link", name="Welcome aboard").click()
    expect(page.locator("h1")).to_have_text("Welcome aboard")


def test_a_script_in_an_html_mail_does_not_run_nor_load_anything(
    page: Page,
    dialogs: list[str],
    server: EmbeddedServer,
    smtp_mock: SmtpMockInfo,
    new_mock: Callable[..., str],
    admin: httpx.Client,
) -> None:
    beacon = new_mock()
    pixel = f"{server.url}/mockhttp/{beacon}/pixel.png"
    probe = "document.getElementById('probe').textContent = 'pwned'"
    html = (
        '<p id="probe">untouched</p>'
        f"<script>{probe}; parent.__pwned = 1; alert('mail')</script>"
        f'<img src="data:," onerror="{probe}">'
        f'<img src="{pixel}"><link rel="stylesheet" href="{pixel}">'
        f'<body onload="{probe}"><form action="{pixel}"><button id="go">go</button></form>'
        f'<meta http-equiv="refresh" content="0;url={pixel}"><iframe src="{pixel}"></iframe>'
    )
    send_mail(smtp_mock, welcome_mail(html))

    page.goto(f"/ui/smtp/{smtp_mock.id}/mails/0")
    frame = page.frame_locator("iframe.mail-frame")
    expect(frame.locator("#probe")).to_be_visible()
    page.wait_for_load_state("load")  # the frame and everything it may load are done
    frame.locator("#go").click()

    expect(frame.locator("#probe")).to_have_text("untouched")
    assert_no_script_ran(page, dialogs)
    assert admin.get(f"/history/{beacon}").json() == []

    # Opened on its own, outside the UI's frame, the mail is still sandboxed.
    page.goto(f"/ui/smtp/{smtp_mock.id}/mails/0/html")
    page.wait_for_load_state("load")
    expect(page.locator("#probe")).to_have_text("untouched")
    assert dialogs == []
    assert admin.get(f"/history/{beacon}").json() == []


def test_reply_bodies_set_up_through_the_api_show_in_the_presets(
    page: Page, new_mock: Callable[..., str], admin: httpx.Client
) -> None:
    mock_id = new_mock()
    body = base64.b64encode(HOSTILE.encode()).decode()
    admin.post(f"/preset/{mock_id}", json={"rule": HOSTILE, "body": body, "times": 3})

    page.goto(f"/ui/http/{mock_id}")

    expect(page.locator('tr[data-preset="0"] code.rule')).to_have_text(HOSTILE)
    assert page.evaluate("typeof window.__pwned") == "undefined"
