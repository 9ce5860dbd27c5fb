"""SMTP mocks over real sockets: smtplib sends, the client and the wire protocol read back."""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage

import httpx
import pytest

from pretenders.client.smtp import SMTPMock
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import ConfigurationError, ResourceNotFound
from tests.waiting import wait_until

pytestmark = pytest.mark.deployments

UNVERIFIED = ssl._create_unverified_context()


@pytest.fixture
def smtp(make_smtp: Callable[..., SMTPMock]) -> SMTPMock:
    return make_smtp()


def connect(mock: SMTPMock, timeout: float = 10) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", mock.pretend_port, timeout=timeout)


def message(subject: str = "Hello", body: str = "Body", **headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = headers.pop("From", "shop@example.com")
    mail["To"] = headers.pop("To", "customer@example.com")
    for name, value in headers.items():
        mail[name] = value
    mail.set_content(body)
    return mail


def test_create_answers_the_1_4_shape(admin: httpx.Client) -> None:
    created = admin.post("/smtp", json={"name": None})
    assert created.status_code == 200
    body = created.json()
    assert set(body) == {"id", "full_host"}
    host, port = body["full_host"].rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        assert conn.recv(100).startswith(b"220 ")
    info = admin.get(f"/smtp/{body['id']}").json()
    assert set(info) == {"name", "protocol", "start", "last_call", "timeout"}
    assert info["protocol"] == "smtp"
    assert admin.get(f"/smtp/{body['id']}").status_code == 200
    assert body["id"] in [m["name"] for m in admin.get("/smtp").json()]
    admin.delete(f"/smtp/{body['id']}")


def test_mail_is_recorded_with_the_1_4_history_keys(admin: httpx.Client, smtp: SMTPMock) -> None:
    with connect(smtp) as client:
        client.send_message(message())
    record = admin.get(f"/history/{smtp.pretend_access_point_id}/0").json()
    assert record["mailfrom"] == "shop@example.com"
    assert record["rcpttos"] == ["customer@example.com"]
    host, port = record["peer"]
    assert host == "127.0.0.1" and isinstance(port, int) and port > 0
    assert "Subject: Hello" in record["data"]
    assert record["tls"] is False and record["helo"]


def test_non_ascii_subject_over_several_encoded_words_and_body(smtp: SMTPMock) -> None:
    subject = "Grüße aus Köln – très spécial: ÄÖÜ äöü ß € " * 3
    with connect(smtp) as client:
        client.send_message(message(subject=subject.strip(), body="Größe: 42 €\nΚαλημέρα\n"))
    raw = smtp.get_email(0)
    assert raw is not None
    assert raw.raw.count(b"=?utf-8?") >= 2, "the subject was not split into encoded words"
    assert raw.subject == subject.strip()
    assert raw["Subject"] == subject.strip()
    assert raw.content == "Größe: 42 €\nΚαλημέρα\n"


def test_multipart_text_html_and_attachment(smtp: SMTPMock) -> None:
    mail = message(subject="Your invoice", body="Plain version")
    mail.add_alternative("<p>HTML <b>version</b></p>", subtype="html")
    pdf = b"%PDF-1.4 \x00\x01\x02 binary"
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename="invoice.pdf")
    with connect(smtp) as client:
        client.send_message(mail)
    got = smtp.get_email(0)
    assert got is not None
    assert got.text == "Plain version\n"
    assert got.content == "Plain version\n"
    assert got.html == "<p>HTML <b>version</b></p>\n"
    (attachment,) = got.attachments
    assert (attachment.filename, attachment.content_type, attachment.data) == (
        "invoice.pdf",
        "application/pdf",
        pdf,
    )
    assert got.message.is_multipart()


def test_to_cc_and_bcc(smtp: SMTPMock) -> None:
    mail = message(To="to@example.com", Cc="cc@example.com")
    with connect(smtp) as client:
        client.send_message(mail, to_addrs=["to@example.com", "cc@example.com", "bcc@example.com"])
    got = smtp.get_email(0)
    assert got is not None
    assert got.rcpt_tos == ["to@example.com", "cc@example.com", "bcc@example.com"]
    assert (got["To"], got["Cc"], got["Bcc"]) == ("to@example.com", "cc@example.com", None)
    assert b"bcc@example.com" not in got.raw
    assert got.mail_from == "shop@example.com"


def test_fifty_mails_over_one_connection_in_order(smtp: SMTPMock) -> None:
    with connect(smtp) as client:
        for number in range(50):
            client.send_message(message(subject=f"mail {number}"))
    assert [m.subject for m in smtp.get_emails()] == [f"mail {n}" for n in range(50)]


def test_fifty_mails_over_fifty_connections_in_order(smtp: SMTPMock) -> None:
    for number in range(50):
        with connect(smtp) as client:
            client.send_message(message(subject=f"mail {number}"))
    assert [m.subject for m in smtp.get_emails()] == [f"mail {n}" for n in range(50)]


def test_starttls_then_auth_login(smtp: SMTPMock) -> None:
    with connect(smtp) as client:
        client.ehlo("client.example")
        assert client.has_extn("starttls")
        client.starttls(context=UNVERIFIED)
        client.ehlo("client.example")
        client.user, client.password = "mailer", "s3cret"
        assert client.auth("LOGIN", client.auth_login)[0] == 235
        client.send_message(message())
    got = smtp.get_email(0)
    assert got is not None
    assert (got.tls, got.login, got.password, got.helo) == (
        True,
        "mailer",
        "s3cret",
        "client.example",
    )


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_without_tls(smtp: SMTPMock, mechanism: str) -> None:
    """Test settings often log in without TLS: accepted and recorded all the same."""
    with connect(smtp) as client:
        client.ehlo()
        client.user, client.password = "u", "p"
        client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"))
        client.send_message(message())
    got = smtp.get_email(0)
    assert got is not None and (got.login, got.password, got.tls) == ("u", "p", False)


def test_extensions_real_senders_use(smtp: SMTPMock) -> None:
    with connect(smtp) as client:
        client.ehlo()
        for extension in ("8bitmime", "smtputf8", "pipelining", "size", "starttls", "auth"):
            assert client.has_extn(extension), extension
        client.send_message(message(To="ünïcode@exämple.com"), mail_options=["SMTPUTF8"])
    got = smtp.get_email(0)
    assert got is not None and got.rcpt_tos == ["ünïcode@exämple.com"]


def test_pipelined_commands(smtp: SMTPMock) -> None:
    with socket.create_connection(("127.0.0.1", smtp.pretend_port), timeout=10) as conn:
        reader = conn.makefile("rb")
        assert reader.readline().startswith(b"220")
        conn.sendall(b"EHLO x\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        conn.sendall(b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n")
        replies = [reader.readline()[:3] for _ in range(4)]
        assert replies == [b"250", b"250", b"250", b"354"]
        conn.sendall(b"Subject: piped\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        assert reader.readline().startswith(b"250")
    got = smtp.get_email(0)
    assert got is not None and got.rcpt_tos == ["b@y", "c@y"] and got.subject == "piped"


def test_message_over_the_size_limit_gets_552_and_the_next_is_accepted(
    admin: httpx.Client,
) -> None:
    created = admin.post("/smtp", json={"size_limit": 2000}).json()
    port = int(created["full_host"].rsplit(":", 1)[1])
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == "2000"
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(message(body="x" * 5000))
        assert refused.value.smtp_code == 552
        # A sender that does not announce SIZE is refused at the end of DATA instead.
        client.mail("a@x")
        client.rcpt("b@y")
        code, _ = client.data(b"Subject: big\r\n\r\n" + (b"y" * 70 + b"\r\n") * 80)
        assert code == 552
        client.send_message(message(subject="small"))
    history = admin.get(f"/history/{created['id']}").json()
    assert [h["data"].count("Subject: small") for h in history] == [1]
    admin.delete(f"/smtp/{created['id']}")


def test_size_limit_must_be_a_number(admin: httpx.Client) -> None:
    response = admin.post("/smtp", json={"size_limit": "big"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "size_limit"


def test_get_email_past_the_end_is_none_and_reset_forgets(smtp: SMTPMock) -> None:
    assert smtp.get_email(0) is None
    with connect(smtp) as client:
        client.send_message(message())
    smtp.reset()
    assert smtp.get_emails() == []


def test_named_smtp_mock_is_joined(make_smtp: Callable[..., SMTPMock]) -> None:
    first = make_smtp(name="mailer")
    second = make_smtp(name="mailer", timeout=FOREVER)
    assert first.pretend_port == second.pretend_port
    assert second.get_pretender().timeout != FOREVER  # joined, not re-created


def test_delete_closes_the_port(make_smtp: Callable[..., SMTPMock]) -> None:
    mock = make_smtp()
    port = mock.pretend_port
    open_session = smtplib.SMTP("127.0.0.1", port, timeout=5)
    mock.delete_mock()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        open_session.noop()
    open_session.close()
    with pytest.raises(ResourceNotFound):
        mock.get_pretender()


@pytest.mark.slow
def test_idle_smtp_mock_expires_and_closes(make_smtp: Callable[..., SMTPMock]) -> None:
    mock = make_smtp(timeout=1)
    port = mock.pretend_port

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    wait_until(refused, timeout=3)


def test_thirty_mocks_each_with_its_own_port_and_mail(make_smtp: Callable[..., SMTPMock]) -> None:
    mocks = [make_smtp() for _ in range(30)]
    assert len({m.pretend_port for m in mocks}) == 30
    for number, mock in enumerate(mocks):
        with connect(mock) as client:
            client.send_message(message(subject=f"for mock {number}"))
    for number, mock in enumerate(mocks):
        assert [m.subject for m in mock.get_emails()] == [f"for mock {number}"]


# Scripted replies


def test_reply_550_to_rcpt_matching_a_regex(smtp: SMTPMock) -> None:
    smtp.when(rcpt="bob@.*").reply(550, "No such user", times=FOREVER)
    with connect(smtp) as client:
        refused = client.sendmail("a@x", ["alice@y", "bob@y"], "Subject: s\r\n\r\nhi")
        assert refused == {"bob@y": (550, b"No such user")}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("a@x", ["bob@z"], "Subject: s\r\n\r\nhi")
    got = smtp.get_email(0)
    assert got is not None and got.rcpt_tos == ["alice@y"]
    assert smtp.get_email(1) is None


def test_421_on_the_first_attempt_then_accept(smtp: SMTPMock) -> None:
    smtp.when("connect").reply(421, "Too busy, try later")
    with pytest.raises(smtplib.SMTPConnectError) as busy:
        connect(smtp)
    assert busy.value.smtp_code == 421
    with connect(smtp) as client:
        client.send_message(message())
    assert len(smtp.get_emails()) == 1


def test_421_at_mail_from_once(smtp: SMTPMock) -> None:
    smtp.when("mail").reply(421, "Service shutting down")
    with connect(smtp) as client, pytest.raises(smtplib.SMTPSenderRefused) as refused:
        client.send_message(message())
    assert refused.value.smtp_code == 421
    with connect(smtp) as client:
        client.send_message(message())
    assert len(smtp.get_emails()) == 1


def test_disconnect_after_data(smtp: SMTPMock) -> None:
    smtp.when("data").disconnect()
    with connect(smtp) as client, pytest.raises(smtplib.SMTPServerDisconnected):
        client.send_message(message(subject="lost"))
    with connect(smtp) as client:
        client.send_message(message(subject="kept"))
    assert [m.subject for m in smtp.get_emails()] == ["kept"]


def test_data_reply_with_a_custom_error(smtp: SMTPMock) -> None:
    smtp.when(data=".*Subject: spam").reply(554, "Rejected as spam")
    with connect(smtp) as client:
        with pytest.raises(smtplib.SMTPDataError) as rejected:
            client.send_message(message(subject="spam"))
        assert rejected.value.smtp_code == 554
        client.send_message(message(subject="ham"))
    assert [m.subject for m in smtp.get_emails()] == ["ham"]


def test_delay_the_reply_to_a_stage(smtp: SMTPMock) -> None:
    smtp.when("rcpt").reply(after=1)
    with connect(smtp) as client:
        client.ehlo()
        client.mail("a@x")
        started = time.monotonic()
        assert client.rcpt("b@y")[0] == 250
        assert time.monotonic() - started >= 1
        started = time.monotonic()
        assert client.rcpt("c@y")[0] == 250
        assert time.monotonic() - started < 1, "the delay was used more than once"


def test_helo_reply_and_listing_and_clearing(admin: httpx.Client, smtp: SMTPMock) -> None:
    smtp.when(helo="bad-host").reply(550, "Go away", times=2)
    presets = admin.get(f"/preset/{smtp.pretend_access_point_id}").json()
    assert presets == [
        {
            "id": 0,
            "stage": "helo",
            "match": "bad-host",
            "action": "reply",
            "status": 550,
            "message": "Go away",
            "after": 0.0,
            "times": 2,
        }
    ]
    with connect(smtp) as client:
        assert client.ehlo("bad-host")[0] == 550
        assert client.helo("bad-host")[0] == 550
        assert client.ehlo("bad-host")[0] == 250
    smtp.reset()
    assert admin.get(f"/preset/{smtp.pretend_access_point_id}").json() == []


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"stage": "quit"}, "stage", "stage must be one of"),
        ({"stage": "rcpt", "status": 700}, "status", "200 to 599"),
        ({"stage": "rcpt", "status": 550, "message": "a\r\nb"}, "message", "single line"),
        ({"stage": "rcpt"}, "status", "needs a status, a delay"),
        ({"stage": "rcpt", "status": 550, "match": "("}, "match", "invalid regular expression"),
        ({"stage": "rcpt", "status": 550, "times": 0}, "times", "positive integer"),
        ({"stage": "rcpt", "action": "explode"}, "action", "Invalid enum value"),
        ({"status": 550}, None, "missing required field `stage`"),
    ],
)
def test_bad_scripted_reply(
    admin: httpx.Client, smtp: SMTPMock, payload: dict[str, object], field: str | None, message: str
) -> None:
    with connect(smtp) as client:
        client.send_message(globals()["message"]())
    response = admin.post(f"/preset/{smtp.pretend_access_point_id}", json=payload)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert message in error["message"]
    if field:
        assert error["field"] == field
    assert len(smtp.get_emails()) == 1, "a bad preset lost recorded mail"


def test_when_needs_exactly_one_stage(smtp: SMTPMock) -> None:
    with pytest.raises(ConfigurationError, match="one stage"):
        smtp.when()
    with pytest.raises(ConfigurationError, match="one stage"):
        smtp.when(rcpt="a", mail="b")


# Abuse


def test_drop_in_the_middle_of_data_then_keep_accepting(smtp: SMTPMock) -> None:
    with connect(smtp) as client:
        client.send_message(message(subject="before"))
    with socket.create_connection(("127.0.0.1", smtp.pretend_port), timeout=10) as conn:
        conn.sendall(
            b"EHLO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: cut\r\n\r\nhal"
        )
        conn.recv(1000)
    with connect(smtp) as client:
        client.send_message(message(subject="after"))
    assert [m.subject for m in smtp.get_emails()] == ["before", "after"]


def test_garbage_commands_get_errors_and_the_mock_carries_on(smtp: SMTPMock) -> None:
    with connect(smtp) as client:
        client.send_message(message(subject="before"))
        assert client.docmd("FROBNICATE", "now")[0] == 500
        assert client.docmd("MAIL", "TO:<a@x>")[0] == 501
        assert client.docmd("RCPT", "TO:<x@y>")[0] == 503
        assert client.docmd("DATA")[0] == 503
        assert client.docmd("X" * 2000)[0] == 500
    with socket.create_connection(("127.0.0.1", smtp.pretend_port), timeout=10) as conn:
        conn.recv(100)
        conn.sendall(bytes(range(256)) + b"\r\n")
        assert conn.recv(100)[:1] == b"5"
    with connect(smtp) as client:
        client.send_message(message(subject="after"))
    assert [m.subject for m in smtp.get_emails()] == ["before", "after"]


def test_tls_certificate_is_served_for_clients_that_verify(admin: httpx.Client) -> None:
    pem = admin.get("/tls/certificate")
    assert pem.status_code == 200
    assert pem.text.startswith("-----BEGIN CERTIFICATE-----")
