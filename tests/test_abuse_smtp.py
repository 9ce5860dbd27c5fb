"""Hostile SMTP clients: garbage commands, overlong lines, TLS at the wrong moment,
clients that leave mid-DATA. Each gets an SMTP error or a closed connection, while a
session that was already under way, and every client after, sends its mail."""

from __future__ import annotations

import contextlib
import smtplib
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.raw_socket import TIMEOUT, reset, tls_client_hello


class Conversation:
    """One raw SMTP connection, read a reply at a time."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.lines = self.sock.makefile("rb")
        self.greeting = self.reply()

    def reply(self) -> int | None:
        """The code of the next (possibly multi-line) reply; None once the server has closed."""
        while True:
            try:
                line = self.lines.readline()
            except ConnectionResetError:
                return None
            if not line:
                return None
            if line[3:4] != b"-":
                return int(line[:3])

    def send(self, data: bytes) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.sock.sendall(data)

    def command(self, line: bytes) -> int | None:
        self.send(line + b"\r\n")
        return self.reply()

    def close(self) -> None:
        self.lines.close()
        self.sock.close()

    def __enter__(self) -> Conversation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass
class SmtpVictim:
    """An SMTP mock that already accepted a mail, with a session half-way through another."""

    id: str
    port: int
    admin: httpx.Client
    in_progress: Conversation

    def subjects(self) -> list[str]:
        mails = self.admin.get(f"/history/{self.id}").json()
        return [mail["data"].split("\r\n", 1)[0] for mail in mails]

    def send(self, subject: str) -> None:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=TIMEOUT) as client:
            client.sendmail("a@example.com", ["b@example.com"], f"Subject: {subject}\r\n\r\nhi\r\n")

    def talk(self) -> Conversation:
        return Conversation(self.port)


@pytest.fixture
def victim(admin: httpx.Client) -> Iterator[SmtpVictim]:
    created = admin.post("/smtp", json={}).json()
    port = int(created["full_host"].rsplit(":", 1)[1])
    in_progress = Conversation(port)
    found = SmtpVictim(created["id"], port, admin, in_progress)
    found.send("before")
    for line in (b"EHLO busy", b"MAIL FROM:<a@example.com>", b"RCPT TO:<b@example.com>"):
        assert in_progress.command(line) == 250
    yield found
    # The session that was under way all along, then a new one, both get their mail in:
    assert in_progress.command(b"DATA") == 354
    assert in_progress.command(b"Subject: during\r\n\r\nhi\r\n.") == 250
    in_progress.close()
    found.send("after")
    assert found.subjects() == ["Subject: before", "Subject: during", "Subject: after"]
    admin.delete(f"/smtp/{found.id}")


def ready_for_data(talk: Conversation) -> None:
    for line, code in ((b"EHLO x", 250), (b"MAIL FROM:<x@y>", 250), (b"RCPT TO:<z@y>", 250)):
        assert talk.command(line) == code
    assert talk.command(b"DATA") == 354


GARBAGE = {
    "unknown verb": (b"FROBNICATE now", 500),
    "NUL and control bytes": (b"\x00\x01\x02\x7f", 500),
    "bytes that are not UTF-8": (b"\xff\xfe\xfd", 500),
    "MAIL without an address": (b"MAIL FROM:", 501),
    "MAIL with brackets awry": (b"MAIL FROM:<<<a@b>", 553),
    "RCPT before MAIL": (b"RCPT TO:<a@b>", 503),
    "DATA before RCPT": (b"DATA", 503),
    "AUTH with an unknown mechanism": (b"AUTH FROBNICATE", 504),
    "a 10 KB command line": (b"HELO " + b"x" * 10_000, 500),
}


@pytest.mark.parametrize("case", GARBAGE)
def test_a_bad_command_gets_an_error_and_the_session_goes_on(victim: SmtpVictim, case: str) -> None:
    line, code = GARBAGE[case]
    with victim.talk() as talk:
        assert talk.command(b"EHLO x") == 250
        assert talk.command(line) == code
        assert talk.command(b"NOOP") == 250
        assert talk.command(b"QUIT") == 221


def test_many_bad_commands_in_a_row_end_that_session_only(victim: SmtpVictim) -> None:
    with victim.talk() as talk:
        codes = [talk.command(b"XYZZY") for _ in range(30)]
    assert set(codes) <= {500, 502, None}
    assert codes[-1] is None, "the server hangs up on a client that only sends nonsense"


def test_an_overlong_line_in_data_refuses_that_mail_only(victim: SmtpVictim) -> None:
    with victim.talk() as talk:
        ready_for_data(talk)
        talk.send(b"Subject: long\r\n\r\n" + b"y" * 200_000 + b"\r\n")
        assert talk.command(b".") == 500
        assert talk.command(b"NOOP") == 250


def test_a_megabyte_without_a_line_end_is_refused(victim: SmtpVictim) -> None:
    with victim.talk() as talk:
        talk.send(b"EHLO " + b"x" * 1_000_000)
        assert talk.command(b"") in {500, None}


def test_tls_before_starttls_is_garbage(victim: SmtpVictim) -> None:
    with victim.talk() as talk:
        talk.send(tls_client_hello() + b"\r\n")
        assert talk.reply() in {500, None}


def test_garbage_instead_of_a_tls_handshake_closes_that_connection(victim: SmtpVictim) -> None:
    with victim.talk() as talk:
        assert talk.command(b"EHLO x") == 250
        assert talk.command(b"STARTTLS") == 220
        talk.send(b"this is not a TLS handshake\r\n" * 10)
        assert talk.reply() is None


LEAVING: dict[str, Callable[[Conversation], None]] = {
    "mid-command": lambda talk: talk.send(b"MAIL FROM:<half"),
    "right after DATA": lambda talk: ready_for_data(talk),
    "mid-message": lambda talk: (ready_for_data(talk), talk.send(b"Subject: cut\r\n\r\nhal")),
    "before the final dot": lambda talk: (
        ready_for_data(talk),
        talk.send(b"Subject: cut\r\n\r\nall but the dot\r\n"),
    ),
}


@pytest.mark.parametrize("how", ["closing", "resetting"])
@pytest.mark.parametrize("moment", LEAVING)
def test_a_client_leaving_mid_session_leaves_nothing_recorded(
    victim: SmtpVictim, moment: str, how: str
) -> None:
    talk = victim.talk()
    try:
        LEAVING[moment](talk)
    finally:
        talk.lines.close()
        (talk.sock.close if how == "closing" else lambda: reset(talk.sock))()
