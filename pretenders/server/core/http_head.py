"""A response head as HTTP/1.1 puts it on the wire (as aiohttp writes it), for the lean
mock path (``server/mock_protocol.py``), which writes replies straight to the socket."""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus

NO_BODY_STATUSES = frozenset({204, 304})
"""Statuses whose responses carry no body (nor a Content-Length), with 1xx."""


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


_STATUS_LINES = {
    status: b"HTTP/1.1 %d %s\r\n" % (status, _reason(status)) for status in range(100, 1000)
}


def bodiless(status: int) -> bool:
    """Whether a response with ``status`` has no body."""
    return status < 200 or status in NO_BODY_STATUSES


class HeaderLines:
    """Headers as their lines on the wire, and whether they give a Content-Length."""

    __slots__ = ("has_length", "lines")

    def __init__(self, headers: Iterable[tuple[str, str]]) -> None:
        lines = []
        self.has_length = False
        for name, value in headers:
            if name.lower() == "content-length":
                self.has_length = True
            lines.append(f"{name}: {value}\r\n".encode("utf-8", "surrogateescape"))
        self.lines = b"".join(lines)

    def head(self, status: int, length: int) -> bytes:
        """The status line, these headers and the Content-Length of a ``length``-byte body
        (unless given, or the status has none); without the lines the server adds per
        response (Date, Server, Connection) and the blank line."""
        line = _STATUS_LINES.get(status) or b"HTTP/1.1 %d \r\n" % status
        if self.has_length or bodiless(status):
            return line + self.lines
        return b"%s%sContent-Length: %d\r\n" % (line, self.lines, length)


def head_lines(status: int, headers: Iterable[tuple[str, str]], length: int) -> bytes:
    """:meth:`HeaderLines.head` of ``headers``."""
    return HeaderLines(headers).head(status, length)
