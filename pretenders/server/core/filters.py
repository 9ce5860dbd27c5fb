"""Record filters: which requests or mails a count, a wait or a history listing is about.

A filter is a predicate over any record; it answers False for records of the other
protocol, so one history, one waiter and one count serve HTTP and SMTP mocks alike.
"""

from __future__ import annotations

import re
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from typing import Literal

from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.records import MailRecord, RequestRecord

Record = RequestRecord | MailRecord


class RequestFilter:
    """HTTP requests: by the preset rule language, method, URL regex, or matched or not.

    ``url`` is searched anywhere in the URL below the mock (anchor it with ``^``);
    ``method`` is compared ignoring case.
    """

    protocol: Literal["http"] = "http"
    __slots__ = ("matched", "method", "rule", "url")

    def __init__(
        self,
        rule: MatchRule | None = None,
        method: str | None = None,
        url: re.Pattern[str] | None = None,
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
        if self.url is not None and self.url.search(record.url) is None:
            return False
        if self.matched is not None and (record.preset_id is not None) != self.matched:
            return False
        return self.rule is None or self.rule.matches(MatchSubject(record))


class MailFilter:
    """Mails: ``to`` searched in every envelope recipient and To/Cc header, ``subject``
    searched in the decoded Subject."""

    protocol: Literal["smtp"] = "smtp"
    __slots__ = ("subject", "to")

    def __init__(
        self, to: re.Pattern[str] | None = None, subject: re.Pattern[str] | None = None
    ) -> None:
        self.to = to
        self.subject = subject

    def __call__(self, record: Record) -> bool:
        if not isinstance(record, MailRecord):
            return False
        if self.to is None and self.subject is None:
            return True
        message = BytesParser(policy=policy.compat32).parsebytes(record.data, headersonly=True)
        if self.to is not None and not any(
            self.to.search(address) for address in recipients(record, message)
        ):
            return False
        return self.subject is None or self.subject.search(subject_of(message)) is not None


RecordFilter = RequestFilter | MailFilter


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
