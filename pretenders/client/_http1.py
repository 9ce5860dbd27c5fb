"""One kept-alive HTTP/1.1 connection to the admin API, for the blocking clients.

A per-test cycle is a handful of small sequential calls, so each call's own cost counts:
``http.client`` writes a request's head and its body in two sends (two segments, and two
wake-ups of the server) and parses every answer's headers with the ``email`` package,
which together took about a third of the client's time. This writes each request in one
send and has httptools (llhttp, the parser of the server's mock path) frame and parse the
answer; h11, measured too, costs more than ``http.client``. Failures are ``http.client``'s
exceptions (or ``OSError``), as they were.
"""

from __future__ import annotations

import http.client
import io
import re
import select
import socket
from dataclasses import dataclass

import httptools

MAX_HEAD = 65536 * 4
"""The most bytes read before an answer's headers end (``http.client`` allowed lines of
64 KiB each)."""
MAX_HEADERS = 100
"""The most header lines an answer may have (``http.client``'s limit)."""
_BAD_TARGET = re.compile("[\x00-\x20\x7f]")
"""Characters a request target cannot carry (``http.client`` refuses them too)."""
_BAD_HEADER = re.compile("[\r\n\x00]")
"""Characters that would end a header value early (a line of the caller's own)."""
_POLL = hasattr(select, "poll")
"""``select.select`` cannot watch descriptors past 1023; ``poll`` can (not on Windows)."""
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
"""Methods sent with ``Content-Length: 0`` when they have no body, as ``http.client`` does."""


@dataclass(frozen=True)
class Answer:
    """A status, headers (names in lower case) and the whole body."""

    status: int
    headers: dict[str, str]
    body: bytes
    will_close: bool
    """The server closes the connection after this answer."""


class Connection:
    """A TCP connection to ``host:port`` carrying one request at a time."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout)
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._reader: io.BufferedReader = self.sock.makefile("rb")
        except BaseException:
            self.sock.close()
            raise
        authority = f"[{host}]" if ":" in host else host
        self._host = authority if port == 80 else f"{authority}:{port}"

    def dropped(self) -> bool:
        """Whether the server closed this idle connection (or sent something unasked):
        then it is replaced before a request is written to a socket nobody reads."""
        if _POLL:
            poller = select.poll()
            poller.register(self.sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([self.sock], [], [], 0)[0])  # pragma: no cover - Windows

    def send(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> None:
        """Write one request, in one send."""
        if _BAD_TARGET.search(target):
            raise http.client.InvalidURL(f"URL can't contain control characters. {target!r}")
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host}", "Accept-Encoding: identity"]
        for name, value in headers.items():
            if _BAD_HEADER.search(value):
                raise ValueError(f"Invalid header value {value!r}")  # as http.client says
            lines.append(f"{name}: {value}")
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        elif method in _BODY_METHODS:
            lines.append("Content-Length: 0")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.sock.settimeout(timeout)
        self.sock.sendall(head + body if body else head)

    def answer(self, method: str) -> Answer:
        """Read the whole answer to the request sent."""
        return read_answer(self._reader, method)

    def close(self) -> None:
        self._reader.close()
        self.sock.close()


def read_answer(reader: io.BufferedReader, method: str) -> Answer:
    """Read one answer (skipping interim 1xx ones) from a buffered binary reader: the
    bytes are framed and parsed by httptools (llhttp, as the server's mock path)."""
    reading = _Reading(method)
    parser = httptools.HttpResponseParser(reading)
    reading.parser = parser
    read = reader.read1  # what the socket has (at least a byte), not a fixed size
    head = 0
    while reading.answer is None:
        data = read(_READ_SIZE)
        if reading.status is None:
            head += len(data)
            if head > MAX_HEAD:
                raise http.client.LineTooLong(f"an answer's head past {MAX_HEAD} bytes")
        if not data:
            if reading.until_close and reading.status is not None:
                return reading.answered(b"".join(reading.body), True)
            if reading.status is None and not reading.seen:
                raise http.client.RemoteDisconnected(
                    "Remote end closed connection without response"
                )
            raise http.client.IncompleteRead(b"".join(reading.body))
        reading.seen = True
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            raise http.client.HTTPException("the server switched protocols") from None
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, http.client.HTTPException):
                raise error.__context__ from None  # one of the callbacks' own
            raise http.client.HTTPException(f"malformed answer: {error}") from None
    return reading.answer


_READ_SIZE = 65536


class _Reading:
    """httptools' callbacks for one answer: its status, headers and body."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.parser: httptools.HttpResponseParser | None = None
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.answer: Answer | None = None
        self.seen = False
        self.until_close = False
        """No length and no chunks: the body runs until the server closes."""
        self._header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")
        key = name.decode("iso-8859-1").lower()
        text = value.decode("iso-8859-1").strip()
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.headers = {}  # an interim answer: the final one follows
            self._header_count = 0
            return
        self.status = status
        if self.method == "HEAD" or status in (204, 304) or status == 101:
            self.answer = self.answered(b"", not self.parser.should_keep_alive())
            return
        framed = (
            "content-length" in self.headers
            or "chunked" in self.headers.get("transfer-encoding", "").lower()
        )
        self.until_close = not framed

    def on_body(self, body: bytes) -> None:
        if self.status is not None:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if self.status is None or self.answer is not None:
            return  # the end of an interim answer
        assert self.parser is not None
        self.answer = self.answered(b"".join(self.body), not self.parser.should_keep_alive())

    def answered(self, body: bytes, will_close: bool) -> Answer:
        return Answer(self.status or 0, self.headers, body, will_close or self.until_close)
