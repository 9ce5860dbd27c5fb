"""Record filters: which requests or mails a count, a wait or a history listing is about.

A filter is a predicate over any record; it answers False for records of the other
protocol, so one history, one waiter and one count serve HTTP and SMTP mocks alike.
"""

from __future__ import annotations

from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from typing import Literal

from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.patterns import GaveUp, Pattern, gave_up_error
from pretenders.server.core.records import MailRecord, RequestRecord

Record = RequestRecord | MailRecord


class RequestFilter:
    """HTTP requests: by the preset rule language, method, URL regex, or matched or not.

    ``url`` is searched anywhere in the URL below the mock (anchor it with ``^``);
    ``method`` is compared ignoring case. A regex that gives up on a record raises
    ``RegexGaveUp`` (a 400): the filter cannot say whether that record matches.
    """

    protocol: Literal["http"] = "http"
    __slots__ = ("matched", "method", "rule", "url")

    def __init__(
        self,
        rule: MatchRule | None = None,
        method: str | None = None,
        url: Pattern | None = None,
        matched: bool | None = None,
    ) -> None:
        self.rule = rule
        self.method = method.upper() if method is not None else None
        self.url = url
        self.matched = matched

    def __call__(self, record: Record) -> bool:
        if not isinstance(record, RequestRecord):
            return False
        if self.method is not None and record.method.upper() != self.method:
            return False
        if self.url is not None and not _search(self.url, record.url, _A_REQUEST):
            return False
        if self.matched is not None and (record.preset_id is not None) != self.matched:
            return False
        if self.rule is None:
            return True
        subject = MatchSubject(record)
        found = self.rule.matches(subject)
        if subject.gave_up is not None:
            pattern, difference = next(iter(subject.gave_up.items()))
            raise gave_up_error(difference.field, pattern.source, pattern.timeout, _A_REQUEST)
        return found


class MailFilter:
    """Mails: ``to`` searched in every envelope recipient and To/Cc header, ``subject``
    searched in the decoded Subject."""

    protocol: Literal["smtp"] = "smtp"
    __slots__ = ("subject", "to")

    def __init__(self, to: Pattern | None = None, subject: Pattern | None = None) -> None:
        self.to = to
        self.subject = subject

    def __call__(self, record: Record) -> bool:
        if not isinstance(record, MailRecord):
            return False
        if self.to is None and self.subject is None:
            return True
        message = BytesParser(policy=policy.compat32).parsebytes(record.data, headersonly=True)
        if self.to is not None and not any(
            _search(self.to, address, _A_MAIL) for address in recipients(record, message)
        ):
            return False
        return self.subject is None or _search(self.subject, subject_of(message), _A_MAIL)


RecordFilter = RequestFilter | MailFilter

_A_REQUEST = "a recorded request"
_A_MAIL = "a recorded mail"


def _search(pattern: Pattern, text: str, what: str) -> bool:
    try:
        return bool(pattern.search(text))
    except GaveUp:
        raise gave_up_error(pattern.field, pattern.source, pattern.timeout, what) from None


def recipients(record: MailRecord, message: Message) -> list[str]:
    """The envelope recipients, then the To and Cc headers as written (names included)."""
    return [*record.rcpt_tos, *header_texts(message, "To"), *header_texts(message, "Cc")]


def subject_of(message: Message) -> str:
    found = header_texts(message, "Subject")
    return found[0] if found else ""


def header_texts(message: Message, name: str) -> list[str]:
    """A header's values decoded (RFC 2047), or as sent when they cannot be decoded."""
    return [_decoded(value) for value in message.get_all(name, [])]


def _decoded(value: object) -> str:
    try:
        return str(make_header(decode_header(value)))  # type: ignore[arg-type]
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return str(value)
