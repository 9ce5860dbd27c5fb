"""Reading a ``multipart/form-data`` body into its parts (with the stdlib email parser).

One reading serves both 1.4's form fields (``data``) and the ``parts`` conditions: a
request's parts are read at most once (see ``MatchSubject.parts``).
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser


class Part:
    """One part of a multipart body: its name, filename, Content-Type and content."""

    __slots__ = ("_text", "charset", "content", "content_type", "filename", "name")

    def __init__(
        self,
        name: str | None,
        filename: str | None,
        content_type: str | None,
        charset: str | None,
        content: bytes,
    ) -> None:
        self.name = name
        """The ``name`` of its Content-Disposition (None when it has none)."""
        self.filename = filename
        self.content_type = content_type
        """Its Content-Type header as sent, or None when it has none."""
        self.charset = charset
        self.content = content
        """The content, its Content-Transfer-Encoding (if any) undone."""
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The content as UTF-8 text, bytes that are not shown as U+FFFD."""
        if self._text is None:
            self._text = self.content.decode("utf-8", errors="replace")
        return self._text

    @property
    def media_type(self) -> str | None:
        """The Content-Type without its parameters, lower-cased: ``text/plain``."""
        if self.content_type is None:
            return None
        return self.content_type.split(";", 1)[0].strip().lower()


def is_multipart_form(content_type: str) -> bool:
    """Whether a request's Content-Type says ``multipart/form-data``."""
    return content_type.lower().startswith("multipart/form-data")


def read_parts(body: bytes, content_type: str) -> list[Part] | None:
    """The parts of a ``multipart/form-data`` body in order, or None when it is not one."""
    if not is_multipart_form(content_type):
        return None
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", errors="replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        # A form with no fields is the closing delimiter alone, which the email parser
        # does not take for a multipart message.
        boundary = message.get_boundary()
        closing = f"--{boundary}--".encode("latin-1", errors="replace") if boundary else None
        return [] if closing is not None and body.strip() == closing else None
    assert isinstance(message, EmailMessage)
    return [_part(part) for part in message.iter_parts()]


def _part(part: MIMEPart) -> Part:
    name = part.get_param("name", header="content-disposition")
    payload = part.get_payload(decode=True)
    # As sent: the parsed header would be written back normalised (charset="utf-8").
    content_type = next(
        (str(value).strip() for key, value in part.raw_items() if key.lower() == "content-type"),
        None,
    )
    return Part(
        name if isinstance(name, str) else None,
        part.get_filename(),
        content_type,
        part.get_content_charset(),
        payload if isinstance(payload, bytes) else b"",
    )
