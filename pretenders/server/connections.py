"""How many sockets the server holds open, and what it does past its limit.

Every accepted connection (HTTP or SMTP) and every SMTP mock's listening socket holds a
file descriptor. Past ``--max-connections`` a new connection is answered at once with a
refusal and closed, so that the process keeps descriptors for its own work (new mocks,
files, the health check from a fresh connection) instead of failing at random.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import cast

logger = logging.getLogger("pretenders.server")

OPTION = "--max-connections"
RESERVE = 32
"""Descriptors always kept out of the connection budget: the listening socket, log files,
the event loop's own, the files a --load or a TLS certificate opens, and some room."""
RESERVE_SHARE = 10
"""Plus one descriptor in this many, for what grows with the server's size."""
WARNING_INTERVAL = 10.0
"""Seconds between two warnings about refused connections (each tells how many)."""
LINGER = 1.0
"""Seconds a refused connection is kept to read what its client sends, so that closing it
does not reset the connection before the client has read the refusal."""
MAX_LINGERING = 64
"""Refused connections lingering at once; past it, further ones are closed at once."""


def raise_open_file_limit() -> int | None:
    """Raise the soft limit of open files to the hard limit, as servers usually do.

    Returns the soft limit in force afterwards (None where the platform has no such limit).
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # e.g. macOS refuses an unlimited hard limit
            logger.debug("could not raise the open-file limit from %s to %s", soft, hard)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    logger.debug("open-file limit: %s (hard limit %s)", soft, hard)
    return int(soft)


def open_file_limit() -> int | None:
    """The soft limit of open files (None where the platform has no such limit)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return None if soft == resource.RLIM_INFINITY else int(soft)


def default_max_connections(open_files: int | None) -> int:
    """The connection limit that leaves a reserve of the ``open_files`` descriptors."""
    if open_files is None:
        return 10_000  # no descriptor limit to derive it from: a generous fixed one
    return max(1, open_files - RESERVE - open_files // RESERVE_SHARE)


class ConnectionBudget:
    """Counts the open sockets of HTTP and SMTP, and admits new ones up to ``limit``."""

    __slots__ = ("_last_warning", "_pending_warning", "_refused", "limit", "lingering", "open")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self.lingering = 0
        self._refused = 0
        self._last_warning = -WARNING_INTERVAL
        self._pending_warning: asyncio.TimerHandle | None = None

    @property
    def full(self) -> bool:
        return self.open >= self.limit

    def refused(self) -> None:
        """Count a refusal (on the event loop); warn at once, then at most every
        ``WARNING_INTERVAL`` seconds with how many there were meanwhile."""
        self._refused += 1
        wait = self._last_warning + WARNING_INTERVAL - time.monotonic()
        if wait <= 0:
            self._warn()
        elif self._pending_warning is None:
            self._pending_warning = asyncio.get_running_loop().call_later(wait, self._warn)

    def _warn(self) -> None:
        if self._pending_warning is not None:
            self._pending_warning.cancel()
            self._pending_warning = None
        logger.warning(
            "refused %d %s: this server already holds %d open connections, its %s",
            self._refused,
            "connection" if self._refused == 1 else "connections",
            self.open,
            OPTION,
        )
        self._refused = 0
        self._last_warning = time.monotonic()

    def message(self) -> str:
        return (
            f"this pretenders server already holds {self.open} open connections, its limit: "
            f"close some, or start it with a higher {OPTION}"
        )


def http_refusal(budget: ConnectionBudget) -> bytes:
    """The whole 503 answer to an HTTP connection past the limit."""
    body = (budget.message() + "\n").encode()
    return (
        b"HTTP/1.1 503 Service Unavailable\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Connection: close\r\n"
        b"Retry-After: 1\r\n\r\n" + body
    )


def smtp_refusal(budget: ConnectionBudget) -> bytes:
    """The greeting of an SMTP connection past the limit (421: the service is not available)."""
    return f"421 4.3.2 {budget.message()}\r\n".encode()


class Refusal(asyncio.Protocol):
    """Sends one answer to a connection past the limit, then closes it.

    It half-closes, then reads and drops what the client sends for up to ``LINGER``
    seconds: closing with unread bytes would reset the connection, and the client could
    lose the answer.
    """

    def __init__(self, budget: ConnectionBudget, answer: bytes) -> None:
        self.budget = budget
        self.answer = answer
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is no asyncio.Transport
        self.transport = transport
        self.budget.refused()
        transport.write(self.answer)
        if self.budget.lingering >= MAX_LINGERING or not transport.can_write_eof():
            transport.close()
            return
        self.budget.lingering += 1
        transport.write_eof()
        self.timer = asyncio.get_running_loop().call_later(LINGER, transport.close)

    def data_received(self, data: bytes) -> None:
        """Dropped: the answer is the same whatever the client asks."""

    def eof_received(self) -> bool:
        return False  # the client is done: close

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.budget.lingering -= 1
