"""``SMTPMock``: a fake mail server; read back the mail the code under test sent."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from pretenders.client import BossClient
from pretenders.client._admin import wait
from pretenders.common.constants import Forever
from pretenders.common.exceptions import ConfigurationError, WaitTimeout

__all__ = ["Attachment", "SMTPMessage", "SMTPMock", "SmtpStage"]

STAGES = ("connect", "helo", "mail", "rcpt", "data")


@dataclass(frozen=True)
class Attachment:
    """A file attached to a mail."""

    filename: str | None
    content_type: str
    data: bytes


class SMTPMessage:
    """A mail the mock accepted: headers by name (``msg['Subject']``), bodies and envelope."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        raw = data.get("raw")
        self.raw: bytes = base64.b64decode(raw) if raw is not None else data["data"].encode()
        # SMTP carries lines ending in CRLF; as text they end in "\n", as Python writes them.
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw.replace(b"\r\n", b"\n"))
        self.message: EmailMessage = parsed

    def __getitem__(self, name: str) -> Any:
        """A header, decoded (``None`` if absent)."""
        return self.message[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.message.get(name, default)

    @property
    def subject(self) -> str:
        """The Subject, fully decoded (all of its encoded words)."""
        return str(self.message.get("Subject", ""))

    @property
    def text(self) -> str | None:
        """The plain-text body, or None if the mail has none."""
        return self._body("plain")

    @property
    def html(self) -> str | None:
        """The HTML body, or None if the mail has none."""
        return self._body("html")

    @property
    def content(self) -> str:
        """The text body, as 1.4 gave it (also for multipart mail); "" when there is none."""
        return self.text or ""

    @property
    def attachments(self) -> list[Attachment]:
        found = []
        for part in self.message.iter_attachments():
            data = part.get_payload(decode=True)
            found.append(
                Attachment(
                    filename=part.get_filename(),
                    content_type=part.get_content_type(),
                    data=data if isinstance(data, bytes) else b"",
                )
            )
        return found

    @property
    def mail_from(self) -> str:
        """The envelope sender (MAIL FROM)."""
        return str(self.data["mailfrom"])

    @property
    def rcpt_tos(self) -> list[str]:
        """The envelope recipients (RCPT TO), Bcc included."""
        return list(self.data["rcpttos"])

    @property
    def peer(self) -> str:
        return str(self.data["peer"])

    def __getattr__(self, name: str) -> Any:
        # Other recorded facts: helo, tls, login, password, time, ...
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None

    def _body(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_type() != f"text/{subtype}":
            return None
        return str(part.get_content())

    def __repr__(self) -> str:
        return f"<SMTPMessage from {self.mail_from} to {self.rcpt_tos}: {self.subject!r}>"


class SmtpStage:
    """A stage of the SMTP conversation, about to be given a scripted reply."""

    def __init__(self, mock: SMTPMock, stage: str, match: str | None) -> None:
        self.mock = mock
        self.stage = stage
        self.match = match

    def reply(
        self,
        status: int | None = None,
        message: str = "",
        times: int | Forever = 1,
        after: float = 0,
    ) -> SMTPMock:
        """Answer ``status message`` at this stage (or, without a status, the normal reply
        ``after`` seconds late), ``times`` times."""
        return self._add(
            {
                "action": "reply",
                "status": status,
                "message": message,
                "times": times,
                "after": after,
            }
        )

    def disconnect(self, times: int | Forever = 1, after: float = 0) -> SMTPMock:
        """Hang up at this stage without answering (after DATA: the mail is not accepted)."""
        return self._add({"action": "disconnect", "times": times, "after": after})

    def _add(self, fields: dict[str, Any]) -> SMTPMock:
        preset = {"stage": self.stage, "match": self.match, **fields}
        path = f"/preset/{self.mock.pretend_access_point_id}"
        self.mock.admin.expect(self.mock.admin.call("POST", path, json=preset))
        return self.mock


class SMTPMock(BossClient):
    """A fake SMTP server, listening on its own port (``pretend_port``).

    Example::

        smtp_mock = SMTPMock('localhost', 8000)
        settings.EMAIL_PORT = smtp_mock.pretend_port
        # ... the code under test sends mail ...
        assert smtp_mock.get_email(0)['Subject'] == "Thank you for your order"
    """

    boss_mock_type = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | Forever | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(host, port, timeout, name)

    @property
    def pretend_access_point(self) -> str:
        """``host:port`` of the fake SMTP server."""
        return str(self.pretender_details["full_host"])

    @property
    def pretend_port(self) -> int:
        return int(self.pretend_access_point.rsplit(":", 1)[1])

    def get_emails(self) -> list[SMTPMessage]:
        """Every mail accepted, oldest first."""
        path = f"/history/{self.pretend_access_point_id}"
        return [
            SMTPMessage(item) for item in self.admin.expect(self.admin.call("GET", path)).json()
        ]

    def get_email(self, sequence_id: int) -> SMTPMessage | None:
        """The ``sequence_id``-th mail accepted, or None if there is none."""
        response = self.admin.call("GET", f"/history/{self.pretend_access_point_id}/{sequence_id}")
        if response.status_code != 200:
            return None
        return SMTPMessage(response.json())

    def wait_for_email(
        self,
        count: int = 1,
        timeout: float = 5,
        to: str | None = None,
        subject: str | None = None,
    ) -> list[SMTPMessage]:
        """Block until ``count`` accepted mails match (those already there count too), and
        return them all; raise ``WaitTimeout`` after ``timeout`` seconds (at most 300).

        ``to`` is a regex searched in every envelope recipient and the To and Cc headers;
        ``subject`` a regex searched in the decoded Subject.
        """
        payload = {"count": count, "timeout": timeout, "to": to, "subject": subject}
        answer = wait(self.admin, self.pretend_access_point_id, payload)
        seen = [SMTPMessage(item) for item in answer["mails"]]
        if answer["met"]:
            return seen
        wanted = f"{count} mail{'s' if count != 1 else ''}"
        filters = {"to": to, "subject": subject}
        described = " and ".join(f"{k} {v!r}" for k, v in filters.items() if v is not None)
        message = f"waiting for {wanted}{' with ' + described if described else ''}: "
        message += str(answer["message"])
        received = self.get_emails()
        message += f"\nThe mock accepted {len(received)}" + "".join(
            f"\n  from {m.mail_from} to {', '.join(m.rcpt_tos)}: {m.subject!r}"
            for m in received[-20:]
        )
        raise WaitTimeout(message, list(seen))

    def when(
        self,
        stage: str | None = None,
        *,
        connect: str | None = None,
        helo: str | None = None,
        mail: str | None = None,
        rcpt: str | None = None,
        data: str | None = None,
    ) -> SmtpStage:
        """Pick the stage to script: ``when('data')``, or with a regex on what the client
        sends there: ``when(rcpt='bob@.*')``, ``when(mail='.*@spam\\.example')``."""
        given = {
            name: value
            for name, value in {
                "connect": connect,
                "helo": helo,
                "mail": mail,
                "rcpt": rcpt,
                "data": data,
            }.items()
            if value is not None
        }
        if stage is not None and not given:
            return SmtpStage(self, stage, None)
        if stage is None and len(given) == 1:
            ((chosen, pattern),) = given.items()
            return SmtpStage(self, chosen, pattern)
        raise ConfigurationError(
            "when() takes one stage: a name (one of " + ", ".join(STAGES) + ") or one keyword "
            "with a regex, e.g. when(rcpt='bob@.*')"
        )
