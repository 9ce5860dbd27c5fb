"""Screenshots of the web UI for the README, made with the UI tests' browser set-up.

Run from the repository root::

    python -m tests.ui.screenshots            # writes docs/screenshots/*.png

It starts an embedded server, creates sample mocks and traffic, and saves one PNG per
main page at 1280 pixels wide.
"""

from __future__ import annotations

import argparse
import base64
import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from pretenders.server.embedded import EmbeddedServer
from tests.ui.chromium import chromium, missing

if TYPE_CHECKING:
    from playwright.sync_api import Page

OUT = Path(__file__).parents[2] / "docs" / "screenshots"
WIDTH, HEIGHT = 1280, 800


def preset(
    client: httpx.Client, mock: str, rule: object, body: bytes = b"", **reply: object
) -> None:
    payload = {"rule": rule, "body": base64.b64encode(body).decode(), **reply}
    client.post(f"/preset/{mock}", json=payload).raise_for_status()


def http_traffic(client: httpx.Client) -> None:
    """A payments API half set up: some calls served, one that matched nothing."""
    client.post("/http", json={"name": "payments-api", "pretender_timeout": "FOREVER"})
    client.post("/http", json={"name": "weather", "pretender_timeout": 600})
    json_type = {"Content-Type": "application/json"}
    preset(
        client,
        "payments-api",
        r"GET /v1/accounts/\d+",
        b'{"id": "acct_1042", "balance": 1250.5, "currency": "EUR"}',
        headers=json_type,
        times="FOREVER",
    )
    preset(
        client,
        "payments-api",
        {"rule": "POST /v1/charges", "headers": {"Authorization": "Bearer sk_test_4242"}},
        b'{"id": "ch_3Nq", "status": "succeeded"}',
        status=201,
        headers=json_type,
        times=5,
    )
    preset(
        client,
        "payments-api",
        "POST /v1/refunds",
        b'{"error": "upstream timeout"}',
        status=503,
        headers=json_type,
        times=2,
        after=1.5,
    )
    preset(client, "weather", "GET /today", b"sunny", times="FOREVER")
    mock = "/mockhttp/payments-api"
    client.get(f"{mock}/v1/accounts/1042")
    client.post(
        f"{mock}/v1/charges",
        json={"amount": 1999, "currency": "eur", "customer": "cus_Ada", "metadata": {"order": 77}},
        headers={"Authorization": "Bearer sk_test_4242"},
    )
    client.get(f"{mock}/v1/accounts/1042?expand=owner")
    client.post(f"{mock}/v1/charges", json={"amount": 500}, headers={"Authorization": "Bearer x"})
    client.delete(f"{mock}/v1/customers/cus_Ada")
    client.get("/mockhttp/weather/today?city=barcelona")


def sample_mails() -> list[tuple[str, list[str], bytes]]:
    welcome = EmailMessage()
    welcome["Subject"] = "Welcome to Acme, Ada!"
    welcome["Date"] = formatdate(localtime=True)
    welcome["From"] = "Acme <hello@acme.test>"
    welcome["To"] = "Ada Lovelace <ada@example.com>"
    welcome.set_content("Hi Ada,\n\nYour account is ready. Your first invoice is attached.\n")
    welcome.add_alternative(
        """<html><body style="font-family: Arial, sans-serif; color: #1d2430; margin: 24px">
<h2 style="color: #4f46e5; margin-top: 0">Welcome aboard, Ada</h2>
<p>Your Acme account is ready. Here is what happens next:</p>
<ol><li>Confirm your address</li><li>Invite your team</li><li>Send your first invoice</li></ol>
<p style="margin-top: 24px"><a href="https://acme.test/start"
  style="background: #4f46e5; color: #fff; padding: 10px 16px; border-radius: 6px;
  text-decoration: none">Get started</a></p>
<p style="color: #687385; font-size: 12px; margin-top: 32px">Acme Inc. · 1 Infinite Loop</p>
</body></html>""",
        subtype="html",
    )
    welcome.add_attachment(
        b"%PDF-1.4 sample invoice",
        maintype="application",
        subtype="pdf",
        filename="invoice-2041.pdf",
    )
    reset = EmailMessage()
    reset["Subject"] = "Reset your password"
    reset["Date"] = formatdate(localtime=True)
    reset["From"] = "Acme <no-reply@acme.test>"
    reset["To"] = "grace@example.com"
    reset.set_content("Use this code to reset your password: 614 209\n")
    digest = EmailMessage()
    digest["Subject"] = "Your weekly report: 3 new invoices"
    digest["Date"] = formatdate(localtime=True)
    digest["From"] = "Acme Reports <reports@acme.test>"
    digest["To"] = "ops@example.com"
    digest.set_content("3 invoices were paid this week.\n")
    digest.add_attachment(
        b"id,amount\n1,10\n", maintype="text", subtype="csv", filename="report.csv"
    )
    return [
        ("hello@acme.test", ["ada@example.com"], welcome.as_bytes(policy=policy.SMTP)),
        ("no-reply@acme.test", ["grace@example.com"], reset.as_bytes(policy=policy.SMTP)),
        ("reports@acme.test", ["ops@example.com"], digest.as_bytes(policy=policy.SMTP)),
    ]


def smtp_traffic(client: httpx.Client) -> str:
    """An SMTP mock that received a few mails, sent over SMTP like an application would."""
    created = client.post("/smtp", json={"name": "signup-mails", "pretender_timeout": "FOREVER"})
    port = int(created.json()["full_host"].rpartition(":")[2])
    client.post(
        "/preset/signup-mails",
        json={"stage": "rcpt", "match": "bounce@", "status": 550, "message": "No such user"},
    ).raise_for_status()
    for mail_from, rcpt_tos, data in reversed(sample_mails()):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.ehlo("app.acme.test")
            smtp.sendmail(mail_from, rcpt_tos, data)
    return "signup-mails"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = parser.parse_args()
    reason = missing()
    if reason:
        raise SystemExit(f"cannot take screenshots: {reason}")
    args.out.mkdir(parents=True, exist_ok=True)
    with EmbeddedServer() as server, httpx.Client(base_url=server.url, timeout=10) as client:
        http_traffic(client)
        smtp = smtp_traffic(client)
        pages = {
            "mocks": "/",
            "http-mock": "/ui/http/payments-api",
            "http-request": "/ui/http/payments-api/requests/1",
            "http-near-miss": "/ui/http/payments-api/requests/3",
            "smtp-mock": f"/ui/smtp/{smtp}",
            "smtp-mail": f"/ui/smtp/{smtp}/mails/2",
        }
        with chromium() as browser:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            for name, path in pages.items():
                page.goto(server.url + path)
                page.wait_for_load_state()
                if page.locator("iframe.mail-frame").count():
                    page.frame_locator("iframe.mail-frame").locator("h2").wait_for()
                target = args.out / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
            page.goto(server.url + "/ui/http/weather")
            add_preset_form(page)
            target = args.out / "http-add-preset.png"
            page.locator("#presets").screenshot(path=str(target))
            print(target)


def add_preset_form(page: Page) -> None:
    """The "add a preset" form, opened and filled in as someone setting up a reply would."""
    form = page.locator("details.add-preset")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    page.get_by_label("Rule").fill("POST /forecast")
    page.locator('textarea[name="match_headers"]').fill("X-Api-Key: demo")
    page.get_by_label("Status").fill("201")
    page.get_by_label("forever").check()
    page.locator('input[name="after"]').fill("0.5")
    page.locator('textarea[name="body"]').fill('{\n  "city": "Barcelona",\n  "sky": "sunny"\n}')
    page.locator('textarea[name="body"]').blur()


if __name__ == "__main__":
    main()
