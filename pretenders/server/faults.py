"""Network faults: what a broken server or network does to a connection instead of
answering, done on the request's own transport (WireMock's ``CONNECTION_RESET_BY_PEER``,
``EMPTY_RESPONSE``, ``RANDOM_DATA_THEN_CLOSE``, ``MALFORMED_RESPONSE_CHUNK``).

Each closes the connection; aiohttp then finds it closing and sends nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from http import HTTPStatus

from pretenders.server.core.presets import Reply
from pretenders.server.core.reply_spec import Fault

GARBAGE_SIZE = 1024
"""Random bytes a ``garbage`` fault sends before closing."""
BAD_CHUNK = b"not-a-chunk-size\r\n"
"""What follows the head of a ``malformed_chunk`` fault: no hexadecimal size."""
_LINGER_ZERO = struct.pack("ii", 1, 0)
_FRAMING = frozenset({"content-length", "transfer-encoding"})


def inflict(transport: asyncio.BaseTransport | None, fault: Fault, reply: Reply) -> None:
    """Do ``fault`` to the connection of ``transport`` (None: the client already left)."""
    if transport is None or transport.is_closing():
        return
    if fault == "reset":
        _reset(transport)
        return
    if fault == "garbage":
        _write(transport, garbage())
    elif fault == "malformed_chunk":
        _write(transport, malformed_chunk_head(reply) + BAD_CHUNK)
    transport.close()  # "empty": nothing written; the others: once written, FIN


def _reset(transport: asyncio.BaseTransport) -> None:
    """Close with a TCP RST: a zero linger time makes the close abortive."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()


def _write(transport: asyncio.BaseTransport, data: bytes) -> None:
    if isinstance(transport, asyncio.WriteTransport):
        transport.write(data)


def garbage() -> bytes:
    """Random bytes, ending in a blank line so that a client's parser takes them for a
    response head (and fails on it) rather than waiting for more."""
    return os.urandom(GARBAGE_SIZE) + b"\r\n\r\n"


def malformed_chunk_head(reply: Reply) -> bytes:
    """A valid status line and the reply's headers, framed as ``chunked``."""
    try:
        reason = HTTPStatus(reply.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {reply.status} {reason}"]
    lines += [
        f"{name}: {value}" for name, value in reply.sent_headers if name.lower() not in _FRAMING
    ]
    lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", errors="replace")
