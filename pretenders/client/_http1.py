"""One kept-alive HTTP/1.1 connection to the admin API, for the blocking clients.

A per-test cycle is a handful of small sequential calls, so each call's own cost counts:
``http.client`` writes a request's head and its body in two sends (two segments, and two
wake-ups of the server) and parses every answer's headers with the ``email`` package,
which together took about a third of the client's time. This writes each request in one
send and reads the answer with a buffered reader. Failures are ``http.client``'s
exceptions (or ``OSError``), as they were.
"""

from __future__ import annotations

import http.client
import re
import select
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE = 65536
"""The longest status or header line read (``http.client``'s limit)."""
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
            self._reader: BinaryIO = self.sock.makefile("rb")
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


def read_answer(reader: BinaryIO, method: str) -> Answer:
    """Read one answer (skipping interim 1xx ones) from a buffered binary reader."""
    read_line = reader.readline
    while True:
        line = read_line(MAX_LINE + 1)
        if not line:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("status line")
        version, _, rest = line.decode("iso-8859-1").rstrip("\r\n").partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
            raise http.client.BadStatusLine(repr(line))
        status = int(code)
        headers = _read_headers(read_line)
        if not 100 <= status < 200 or status == 101:
            break
    tokens = {token.strip().lower() for token in headers.get("connection", "").split(",")}
    will_close = "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return Answer(status, headers, b"", will_close)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return Answer(status, headers, _read_chunked(reader), will_close)
    length = headers.get("content-length")
    if length is None:  # the body runs until the server closes the connection
        return Answer(status, headers, reader.read(), True)
    try:
        size = int(length)
    except ValueError:
        raise http.client.HTTPException(f"invalid Content-Length {length!r}") from None
    body = reader.read(size)
    if len(body) < size:
        raise http.client.IncompleteRead(body, size - len(body))
    return Answer(status, headers, body, will_close)


def _read_headers(read_line: Callable[[int], bytes]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        line = read_line(MAX_LINE + 1)
        if line in (b"\r\n", b"\n", b""):
            return headers
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        name, sep, value = line.decode("iso-8859-1").partition(":")
        if sep:
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")


def _read_chunked(reader: BinaryIO) -> bytes:
    read_line, read = reader.readline, reader.read
    parts: list[bytes] = []
    while True:
        line = read_line(MAX_LINE + 1)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise http.client.IncompleteRead(b"".join(parts)) from None
        if size == 0:
            _read_headers(read_line)  # trailers, if any, and the blank line that ends them
            return b"".join(parts)
        chunk = read(size)
        if len(chunk) < size:
            raise http.client.IncompleteRead(b"".join(parts) + chunk, size - len(chunk))
        parts.append(chunk)
        read_line(MAX_LINE + 1)  # the CRLF after the chunk
