"""``SMTPMock``: a fake mail server; read back the mail the code under test sent."""

from __future__ import annotations

from typing import Any

from pretenders.client import BossClient, MockFacts
from pretenders.client import _operations as ops
from pretenders.client.models import Attachment, HistoryStats, SMTPMessage
from pretenders.common.constants import Forever

__all__ = ["Attachment", "HistoryStats", "SMTPMessage", "SMTPMock", "SmtpMockFacts", "SmtpStage"]

STAGES = ops.STAGES


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
        return self._add(ops.smtp_reply(status, message, times, after))

    def disconnect(self, times: int | Forever = 1, after: float = 0) -> SMTPMock:
        """Hang up at this stage without answering (after DATA: the mail is not accepted)."""
        return self._add(ops.smtp_disconnect(times, after))

    def _add(self, fields: dict[str, Any]) -> SMTPMock:
        mock_id = self.mock.pretend_access_point_id
        self.mock._run(ops.add_smtp_preset(mock_id, self.stage, self.match, **fields))
        return self.mock


class SmtpMockFacts(MockFacts):
    """The parts of an SMTP mock client that need no server: where it listens."""

    boss_mock_type = "smtp"

    @property
    def pretend_access_point(self) -> str:
        """``host:port`` of the fake SMTP server."""
        return str(self.pretender_details["full_host"])

    @property
    def pretend_port(self) -> int:
        return int(self.pretend_access_point.rsplit(":", 1)[1])


class SMTPMock(SmtpMockFacts, BossClient):
    """A fake SMTP server, listening on its own port (``pretend_port``).

    Example::

        smtp_mock = SMTPMock('localhost', 8000)
        settings.EMAIL_PORT = smtp_mock.pretend_port
        # ... the code under test sends mail ...
        assert smtp_mock.get_email(0)['Subject'] == "Thank you for your order"
    """

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | Forever | None = None,
        name: str | None = None,
        token: str | None = None,
    ) -> None:
        super().__init__(host, port, timeout, name, token)

    def get_emails(self) -> list[SMTPMessage]:
        """Every mail accepted, oldest first."""
        return self._run(ops.emails(self.pretend_access_point_id))

    def get_email(self, sequence_id: int) -> SMTPMessage | None:
        """The ``sequence_id``-th mail accepted, or None if there is none."""
        return self._run(ops.email(self.pretend_access_point_id, sequence_id))

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
        mock_id = self.pretend_access_point_id
        return self._run(ops.wait_for_email(mock_id, count, timeout, to, subject))

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
        patterns = {"connect": connect, "helo": helo, "mail": mail, "rcpt": rcpt, "data": data}
        return SmtpStage(self, *ops.pick_stage(stage, patterns))
