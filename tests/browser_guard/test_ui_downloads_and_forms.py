"""What the UI serves from its own origin is never a page or script a mail or a form chose."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.conftest import SmtpMockInfo, send_mail

MAIL = b"""\
From: a@example.com
To: b@example.com
Subject: Scripts attached
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

See attached.
--b
Content-Type: text/javascript
Content-Disposition: inline; filename="app.js"

fetch('/history/victim')
--b
Content-Type: text/html
Content-Disposition: attachment; filename="page.html"

<script>alert(1)</script>
--b--
"""


@pytest.fixture
def ui(server: EmbeddedServer) -> Iterator[httpx.Client]:
    """What a browser on one of the UI's own pages sends."""
    with httpx.Client(base_url=server.url, timeout=10, headers={"Origin": server.url}) as client:
        yield client


@pytest.fixture
def smtp_mock(admin: httpx.Client) -> Iterator[SmtpMockInfo]:
    created = admin.post("/smtp", json={}).json()
    host, _, port = created["full_host"].rpartition(":")
    yield SmtpMockInfo(created["id"], host, int(port))
    admin.delete(f"/smtp/{created['id']}")


@pytest.mark.parametrize(("k", "content"), [(1, b"fetch('/history/victim')"), (2, b"<script>")])
def test_attachments_are_downloads_whatever_type_the_mail_claims(
    ui: httpx.Client, smtp_mock: SmtpMockInfo, k: int, content: bytes
) -> None:
    send_mail(smtp_mock, MAIL)

    served = ui.get(f"/ui/smtp/{smtp_mock.id}/mails/0/attachments/{k}")

    assert served.status_code == 200
    assert served.content.startswith(content)
    assert served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("attachment; ")
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_the_mail_source_is_a_download_too(ui: httpx.Client, smtp_mock: SmtpMockInfo) -> None:
    send_mail(smtp_mock, MAIL)

    served = ui.get(f"/ui/smtp/{smtp_mock.id}/mails/0/source")

    assert served.content.replace(b"\r\n", b"\n").startswith(b"From: a@example.com")
    assert served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["Content-Disposition"].startswith('attachment; filename="mail-0.eml"')


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=x", b"no boundary in here"),
        ("multipart/form-data", b"--x\r\n\r\n--x--\r\n"),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n",
        ),
        ("application/x-www-form-urlencoded", b"name=\xff\xfe"),
    ],
    ids=["no-boundary-found", "no-boundary-given", "field-without-name", "not-utf-8"],
)
def test_an_unreadable_form_is_a_400_naming_the_problem(
    ui: httpx.Client, admin: httpx.Client, content_type: str, body: bytes
) -> None:
    before = {mock["name"] for mock in admin.get("/http").json()}

    refused = ui.post("/ui/mocks", content=body, headers={"Content-Type": content_type})

    assert refused.status_code == 400
    assert refused.headers["Content-Type"].startswith("text/html")
    assert "the form could not be read" in refused.text
    assert {mock["name"] for mock in admin.get("/http").json()} == before


def test_an_unreadable_form_from_another_site_is_refused_as_cross_site(
    server: EmbeddedServer,
) -> None:
    refused = httpx.post(
        f"{server.url}/ui/mocks",
        content=b"garbage",
        headers={"Content-Type": "multipart/form-data; boundary=x", "Origin": "null"},
    )

    assert refused.status_code == 403
    assert "cross-site request" in refused.text
