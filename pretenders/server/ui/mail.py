"""Captured mail made readable: subject and addresses, text and HTML bodies, attachments.

Mail is parsed when a page is asked for, from the bytes exactly as received. Any
message, however broken, gives a view: a header that cannot be parsed is shown raw.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser

from pretenders.server.core.records import MailRecord
from pretenders.server.core.registry import Mock
from pretenders.server.ui.present import clean, clock, precise, size_text, ui_path

RAW_LIMIT = 512 * 1024
"""Longer sources are shown cut at this size (the whole message can be downloaded)."""


@dataclass(frozen=True)
class MailSummary:
    """What a list of mails shows of each."""

    subject: str
    sender: str
    recipients: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: str
    data: bytes


@dataclass(frozen=True)
class MailView:
    """One mail, opened."""

    summary: MailSummary
    date: str
    headers: tuple[tuple[str, str], ...]
    text: str | None
    html: str | None
    attachments: tuple[Attachment, ...]
    raw: str
    raw_truncated: bool
    size: str


@dataclass(frozen=True)
class MailRow:
    """One line of an SMTP mock's mails; also the payload of its live event."""

    index: int
    href: str
    time: str
    time_title: str
    subject: str
    sender: str
    recipients: str
    size: str


def mail_row(mock: Mock, index: int, record: MailRecord) -> MailRow:
    summary = summarize(record)
    return MailRow(
        index=index,
        href=ui_path("smtp", mock.id, "mails", index),
        time=clock(record.time),
        time_title=precise(record.time),
        subject=summary.subject,
        sender=summary.sender,
        recipients=summary.recipients,
        size=size_text(len(record.data)),
    )


def envelope(record: MailRecord) -> list[tuple[str, str]]:
    """What the SMTP session said, beside the message itself."""
    facts = [
        ("Peer", peer_text(record.peer)),
        ("HELO", clean(record.helo or "")),
        ("MAIL FROM", clean(record.mail_from) + _options(record.mail_options)),
        ("RCPT TO", ", ".join(clean(r) for r in record.rcpt_tos) + _options(record.rcpt_options)),
        ("TLS", "yes (STARTTLS)" if record.tls else "no"),
    ]
    if record.login is not None:
        facts.append(("AUTH", f"{clean(record.login)} / {clean(record.password or '')}"))
    return [(label, value) for label, value in facts if value]


def peer_text(peer: tuple[str, int]) -> str:
    """``host:port`` (``[host]:port`` for an IPv6 address)."""
    host, port = peer
    return f"[{clean(host)}]:{port}" if ":" in host else f"{clean(host)}:{port}"


def _options(options: Sequence[str]) -> str:
    return "".join(f" {clean(option)}" for option in options)


def summarize(record: MailRecord) -> MailSummary:
    """Subject, sender and recipients, from the headers only (cheap enough for live events)."""
    message = BytesHeaderParser(policy=policy.default).parsebytes(record.data)
    return _summary(message, record)


def parse_mail(record: MailRecord) -> MailView:
    message = BytesParser(policy=policy.default).parsebytes(record.data)
    text_part = _body_part(message, "plain")
    html_part = _body_part(message, "html")
    shown = {id(part) for part in (text_part, html_part) if part is not None}
    attachments = tuple(
        _attachment(part, position)
        for position, part in enumerate(_leaves(message), start=1)
        if id(part) not in shown
    )
    return MailView(
        summary=_summary(message, record),
        date=_header(message, "Date"),
        headers=tuple(_headers(message)),
        text=_content(text_part) if text_part is not None else None,
        html=_content(html_part) if html_part is not None else None,
        attachments=attachments,
        raw=record.data[:RAW_LIMIT].decode("utf-8", "replace"),
        raw_truncated=len(record.data) > RAW_LIMIT,
        size=size_text(len(record.data)),
    )


def _summary(message: Message, record: MailRecord) -> MailSummary:
    return MailSummary(
        subject=_header(message, "Subject"),
        sender=_header(message, "From") or clean(record.mail_from),
        recipients=_header(message, "To") or ", ".join(clean(r) for r in record.rcpt_tos),
    )


def _header(message: Message, name: str) -> str:
    """A header's decoded value, or its raw text when it cannot be decoded; "" when absent."""
    try:
        value = message.get(name)
        return "" if value is None else clean(str(value))
    except Exception:  # the email package raises many kinds of errors on malformed headers
        for key, raw in message.raw_items():
            if key.lower() == name.lower():
                return clean(str(raw))
        return ""


def _headers(message: Message) -> Iterator[tuple[str, str]]:
    """Every header in the order sent, decoded where it can be."""
    for name, raw in message.raw_items():
        try:
            value = str(message.policy.header_fetch_parse(name, raw))
        except Exception:  # shown as sent, unfolded
            value = "".join(str(raw).splitlines())
        yield clean(name), clean(value)


def _body_part(message: EmailMessage, subtype: str) -> EmailMessage | None:
    try:
        part = message.get_body(preferencelist=(subtype,))
    except Exception:  # malformed MIME structure: no body of that kind to show
        return None
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    return part  # type: ignore[return-value]


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return clean(content)
    except Exception:  # unknown charset or broken transfer encoding
        pass
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _leaves(part: Message) -> Iterator[Message]:
    """Every part that is not a container; an attached message counts as one part."""
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def _attachment(part: Message, position: int) -> Attachment:
    content_type = part.get_content_type()
    data = _payload(part)
    try:
        filename = part.get_filename()
    except Exception:  # an undecodable filename parameter
        filename = None
    if not filename:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        filename = f"part-{position}{extension}"
    return Attachment(
        filename=clean(filename),
        content_type=content_type,
        size=size_text(len(data)),
        data=data,
    )


def _payload(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            try:
                return inner[0].as_bytes()
            except Exception:  # a message that cannot be serialized again
                return b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""
