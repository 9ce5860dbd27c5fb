"""The UI's pages over real sockets: what they list, how they show bodies, their headers."""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Callable

import httpx
import pytest

from pretenders.server.ui.security import MAIL_FRAME_POLICY, PAGE_POLICY
from tests.ui.conftest import SmtpMockInfo, send_mail


def test_mocks_page_lists_http_mocks_with_their_counts(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock(name="listed-mock", pretender_timeout="FOREVER")
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /a", "body": ""})
    admin.get(f"/mockhttp/{mock_id}/a")
    admin.get(f"/mockhttp/{mock_id}/b")

    page = ui.get("/")

    assert page.status_code == 200
    assert 'href="/ui/http/listed-mock"' in page.text
    row = page.text.split('data-mock="listed-mock"', 1)[1].split("</tr>", 1)[0]
    assert 'data-field="presets">0</td>' in row  # its one use is spent
    assert 'data-field="records">2</td>' in row
    assert "/mockhttp/listed-mock" in row
    assert "never" in row


def test_http_mock_page_shows_presets_and_history_newest_first(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    admin.post(
        f"/preset/{mock_id}",
        json={
            "rule": {"rule": "POST /pay", "headers": {"X-Key": "k1"}, "body": "amount"},
            "status": 402,
            "body": base64.b64encode(b"no funds").decode(),
            "times": "FOREVER",
            "after": 0.25,
        },
    )
    admin.get(f"/mockhttp/{mock_id}/first")
    admin.post(f"/mockhttp/{mock_id}/pay", content=b"amount=3", headers={"X-Key": "k1"})

    text = ui.get(f"/ui/http/{mock_id}").text

    preset = text.split('data-preset="0"', 1)[1].split("</tr>", 1)[0]
    for shown in ("POST /pay", "X-Key: k1", "amount", "402", "∞", "250 ms", "no funds"):
        assert shown in preset
    assert 'data-field="served">1</td>' in preset
    history = text.split('data-table="requests"', 1)[1]
    assert history.index("/pay") < history.index("/first")
    assert "preset 0" in history
    assert "no match · closest preset 0: rule, header X-Key, body" in history


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"b": [1, 2.50], "a": null}', "application/json", '<span class="j-n">2.50</span>'),
        (b"plain words", "text/plain", '<pre class="code text">plain words</pre>'),
        (bytes(range(20)), "application/octet-stream", "00 01 02 03 04 05 06 07"),
        (b"a=1&b=two+words", "application/x-www-form-urlencoded", "<th>b</th><td><code>two words"),
        (b"", "text/plain", "No body."),
    ],
    ids=["json", "text", "binary", "form", "empty"],
)
def test_request_page_shows_a_body_the_readable_way(
    ui: httpx.Client,
    admin: httpx.Client,
    new_mock: Callable[..., str],
    body: bytes,
    content_type: str,
    expected: str,
) -> None:
    mock_id = new_mock()
    admin.post(f"/mockhttp/{mock_id}/x?q=1", content=body, headers={"Content-Type": content_type})

    page = ui.get(f"/ui/http/{mock_id}/requests/0")

    assert page.status_code == 200
    assert expected in page.text
    assert "<th>q</th><td><code>1</code>" in page.text  # the query, as a table


def test_request_page_explains_why_no_preset_matched(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /orders", "body": "", "times": 2})
    admin.post(f"/mockhttp/{mock_id}/orders")

    text = ui.get(f"/ui/http/{mock_id}/requests/0").text

    panel = text.split('class="panel near-misses"', 1)[1].split("</section>", 1)[0]
    assert "preset 0" in panel and "times left 2" in panel
    assert "the path matches, the method does not" in panel
    assert "<td><code>GET /orders</code></td><td><code>POST /orders</code></td>" in panel


def test_request_body_downloads_as_it_was_sent(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    admin.post(f"/mockhttp/{mock_id}/x", content=b"<html>\x00\xff")

    download = ui.get(f"/ui/http/{mock_id}/requests/0/body")

    assert download.content == b"<html>\x00\xff"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="request-0"')
    assert download.headers["Content-Type"] == "application/octet-stream"


def test_hostile_values_are_escaped(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock(name='x"><i>y')
    admin.post(
        f"/mockhttp/{mock_id}/p?<b>=1",
        content=b"<script>alert(1)</script>",
        headers={"X-Evil": "<img src=x onerror=alert(1)>", "Content-Type": "text/html"},
    )

    pages = [ui.get("/ui/http/x%22%3E%3Ci%3Ey"), ui.get("/ui/http/x%22%3E%3Ci%3Ey/requests/0")]

    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "<img src=x" not in page.text
        assert "<i>y" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1].text
    assert 'data-live="x&#34;&gt;&lt;i&gt;y"' in pages[0].text


@pytest.mark.parametrize(
    "path", ["/", "/ui/http/nobody-here", "/ui/static/app.js", "/ui/static/style.css"]
)
def test_every_ui_response_sends_a_restrictive_policy(ui: httpx.Client, path: str) -> None:
    response = ui.get(path)

    assert response.headers["Content-Security-Policy"] == PAGE_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unknown_mock_and_position_are_readable_404_pages(
    ui: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()

    gone = ui.get("/ui/http/nobody-here")
    past = ui.get(f"/ui/http/{mock_id}/requests/3")

    assert gone.status_code == 404
    assert "No matching http mock: nobody-here" in gone.text
    assert past.status_code == 404
    assert "Nothing recorded at position 3" in past.text


def test_admin_api_responses_are_left_alone(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()

    assert "Content-Security-Policy" not in admin.get("/http").headers
    assert "Content-Security-Policy" not in admin.get(f"/mockhttp/{mock_id}/x").headers


MAIL = b"""\
From: Ada <ada@example.com>
To: Bob <bob@example.com>
Subject: =?utf-8?q?Caf=C3=A9_order?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: multipart/alternative; boundary="A"

--A
Content-Type: text/plain; charset=utf-8

Two coffees, please.
--A
Content-Type: text/html; charset=utf-8

<p>Two <b>coffees</b>, please.<script>alert(1)</script></p>
--A--
--B
Content-Type: text/csv
Content-Disposition: attachment; filename="order.csv"

item,count
coffee,2
--B--
""".replace(b"\n", b"\r\n")


def test_smtp_mock_page_lists_mails_newest_first(ui: httpx.Client, smtp_mock: SmtpMockInfo) -> None:
    send_mail(smtp_mock, b"Subject: older\r\n\r\nx")
    send_mail(smtp_mock, MAIL)

    text = ui.get(f"/ui/smtp/{smtp_mock.id}").text

    mails = text.split('data-table="mails"', 1)[1]
    assert mails.index("Café order") < mails.index("older")
    assert "Ada &lt;ada@example.com&gt;" in mails
    assert "Bob &lt;bob@example.com&gt;" in mails


def test_mail_page_shows_the_mail_every_way(ui: httpx.Client, smtp_mock: SmtpMockInfo) -> None:
    send_mail(smtp_mock, MAIL)
    base = f"/ui/smtp/{smtp_mock.id}/mails/0"

    html_view = ui.get(base).text
    text_view = ui.get(base + "?view=text").text
    headers_view = ui.get(base + "?view=headers").text
    raw_view = ui.get(base + "?view=raw").text

    assert "Café order" in html_view
    assert f'<iframe class="mail-frame" src="{base}/html" sandbox ' in html_view
    assert "order.csv" in html_view and "text/csv" in html_view
    assert "Two coffees, please." in text_view
    assert "<th>Subject</th><td><code>Café order</code>" in headers_view
    assert "=?utf-8?q?Caf=C3=A9_order?=" in raw_view
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw_view


def test_mail_html_is_served_under_its_own_sandboxing_policy(
    ui: httpx.Client, smtp_mock: SmtpMockInfo
) -> None:
    send_mail(smtp_mock, MAIL)

    frame = ui.get(f"/ui/smtp/{smtp_mock.id}/mails/0/html")

    assert frame.text.startswith("<p>Two <b>coffees</b>")
    assert frame.headers["Content-Security-Policy"] == MAIL_FRAME_POLICY
    assert "sandbox" in frame.headers["Content-Security-Policy"].split("; ")
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_attachments_and_source_download(ui: httpx.Client, smtp_mock: SmtpMockInfo) -> None:
    send_mail(smtp_mock, MAIL)
    base = f"/ui/smtp/{smtp_mock.id}/mails/0"

    attachment = ui.get(base + "/attachments/1")
    source = ui.get(base + "/source")
    missing = ui.get(base + "/attachments/2")

    assert attachment.content == b"item,count\r\ncoffee,2"  # the last line break is the boundary's
    assert attachment.headers["Content-Disposition"].startswith('attachment; filename="order.csv"')
    assert source.content == MAIL
    assert source.headers["Content-Disposition"].startswith('attachment; filename="mail-0.eml"')
    assert missing.status_code == 404


def test_mail_page_shows_the_smtp_session(ui: httpx.Client, smtp_mock: SmtpMockInfo) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_mock.port, timeout=10) as client:
        client.ehlo("client.example")
        client.login("mailer", "s3cret")
        client.sendmail("a@example.com", ["b@example.com", "c@example.com"], MAIL)

    text = ui.get(f"/ui/smtp/{smtp_mock.id}/mails/0").text

    envelope = text.split("<h2>Envelope</h2>", 1)[1].split("</section>", 1)[0]
    for label, value in [
        ("HELO", "client.example"),
        ("RCPT TO", "b@example.com, c@example.com"),
        ("TLS", "no"),
        ("AUTH", "mailer / s3cret"),
    ]:
        assert f"<dt>{label}</dt><dd><code>{value}" in envelope


def test_smtp_mock_page_lists_scripted_replies(
    ui: httpx.Client, admin: httpx.Client, smtp_mock: SmtpMockInfo
) -> None:
    admin.post(
        f"/preset/{smtp_mock.id}",
        json={"stage": "rcpt", "match": "nobody@", "status": 550, "message": "No such user"},
    )
    admin.post(f"/preset/{smtp_mock.id}", json={"stage": "data", "action": "disconnect"})

    text = ui.get(f"/ui/smtp/{smtp_mock.id}").text

    script = text.split('id="script"', 1)[1]
    assert "<code>rcpt</code>" in script and "nobody@" in script
    assert '<span class="badge s5">550 No such user</span>' in script
    assert '<span class="badge s5">hang up</span>' in script
