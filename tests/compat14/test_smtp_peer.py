"""An SMTP mock records the sender's peer as 1.4 did: ``[address, port]``."""

from __future__ import annotations

import smtplib
from collections.abc import Callable

import httpx

from pretenders.client.smtp import SMTPMock


def send_one(smtp: SMTPMock) -> int:
    """Send a mail to the mock; returns the client's own port (the peer the mock sees)."""
    with smtplib.SMTP("127.0.0.1", smtp.pretend_port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: hi\r\n\r\nbody\r\n")
        assert client.sock is not None
        port: int = client.sock.getsockname()[1]
    return port


def test_the_wire_gives_a_json_list(
    make_smtp: Callable[..., SMTPMock], admin: httpx.Client
) -> None:
    smtp = make_smtp()
    port = send_one(smtp)
    record = admin.get(f"/history/{smtp.pretend_access_point_id}/0").json()
    assert record["peer"] == ["127.0.0.1", port]
    assert record["rule"] == ""
    listed = admin.get(f"/history/{smtp.pretend_access_point_id}").json()
    assert listed[0]["peer"] == ["127.0.0.1", port]


def test_the_client_gives_a_pair_and_its_text(make_smtp: Callable[..., SMTPMock]) -> None:
    smtp = make_smtp()
    port = send_one(smtp)
    mail = smtp.get_email(0)
    assert mail is not None
    assert mail.peer == ("127.0.0.1", port)
    assert mail.peer_text == f"127.0.0.1:{port}"
    assert mail.data["peer"][1] == port  # indexed as 1.4 scripts do


def test_the_ui_shows_host_and_port(
    make_smtp: Callable[..., SMTPMock], admin: httpx.Client
) -> None:
    smtp = make_smtp()
    port = send_one(smtp)
    page = admin.get(f"/ui/smtp/{smtp.pretend_access_point_id}/mails/0")
    assert page.status_code == 200
    assert f"<dt>Peer</dt><dd><code>127.0.0.1:{port}</code></dd>" in page.text
