"""What a protocol adapter records: one type per protocol, the same for history, API and UI.

Plain data only (msgspec structs of strings, bytes, numbers and tuples), so that a store
can keep records as they are: a near miss quotes the preset's rule as a :class:`RuleSpec`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from pretenders.common.constants import Forever
from pretenders.server.core.rule_spec import RuleSpec

Headers = tuple[tuple[str, str], ...]
"""Header (name, value) pairs in the order received, names in the case they were sent."""


class Difference(msgspec.Struct, frozen=True, gc=False):
    """One part of a request that did not match a rule (plain data, kept in records)."""

    field: str
    """``rule``, ``header <Name>``, ``body`` or ``data``."""
    expected: str
    actual: str
    """What was sent, or one of :data:`DESCRIPTIONS` when there is nothing to quote."""
    gave_up: bool = False
    """The regex ``expected`` gave up on this request (``actual`` says after how long)."""


RuleMiss = Literal["method", "path"]
"""The half of ``"METHOD /path"`` that alone made a rule miss."""


class NearMiss(msgspec.Struct, frozen=True, gc=False):
    """One preset that did not match a request, and how far it was (plain data)."""

    preset_id: int
    rule: RuleSpec
    times_left: int | Forever
    """The preset's uses left when the request came."""
    differences: tuple[Difference, ...]
    distance: float
    """Lower is closer; only meaningful against other near misses of the same request."""
    rule_miss: RuleMiss | None = None
    """``"method"`` or ``"path"`` when the rule missed on that half alone, else None."""


class WebhookCall(msgspec.Struct, frozen=True, gc=False):
    """What marks a record as a webhook call the server made, and how it went.

    The record's method, url, headers and body are those of the request sent; its
    ``status`` the answer's (None when there was none); ``preset_id`` the preset whose
    reply triggered it.
    """

    duration: float = 0.0
    """Seconds from sending the request to the end of its answer (or the error)."""
    error: str | None = None
    """Why there was no answer: refused, timed out, skipped, a template that failed..."""
    reply: bytes = b""
    """The start of the answer's body (at most ``WEBHOOK_REPLY_BYTES``)."""


class RequestRecord(msgspec.Struct, gc=False):
    """One HTTP request received by a mock, and what the mock answered.

    Records are never tracked by Python's garbage collector (``gc=False``; they hold only
    strings, bytes, numbers and tuples of those, so they cannot form cycles). Tracked, a
    history of a few hundred thousand requests made every full collection walk them all:
    pauses of 70 ms and more under load.
    """

    method: str
    url: str
    """The path below the mock's prefix, with ``?query`` when there is one, as sent."""
    headers: Headers
    body: bytes
    time: float
    """Seconds since the epoch when the request arrived."""
    status: int | None = None
    """The status served; None while the request is being answered."""
    preset_id: int | None = None
    """The preset that served it, or None when nothing matched."""
    near_misses: tuple[NearMiss, ...] = ()
    """When nothing matched: the closest presets, closest first, and why each missed."""
    body_too_large: bool = False
    """The body was over the server's body size limit: the request got a 413, and its
    body was not kept (``body`` is empty)."""
    fault: str | None = None
    """The network fault the preset served instead of a reply (``reset``, ...)."""
    delay: float | None = None
    """Seconds the reply was held back, as drawn from the preset's ``delay``."""
    webhook: WebhookCall | None = None
    """Set on a request the server sent (a webhook), not one the mock received."""
    tls: bool = False
    """It came over HTTPS (a mock on a port of its own, created with ``tls``)."""
    server_name: str | None = None
    """The host name the client asked for in the TLS handshake (SNI), if any."""
    client_cert: str | None = None
    """The subject of the certificate the client presented (RFC 4514, ``CN=alice``)."""
    client_cert_sha256: str | None = None
    """That certificate's SHA-256 fingerprint (hex)."""
    proxied: str | None = None
    """The upstream URL a proxy preset forwarded it to (``status``: the upstream's, or
    502 / 504 when it could not answer)."""
    proxy_error: str | None = None
    """Why the upstream gave no answer (unreachable, timed out, reply too large)."""

    @property
    def rule_line(self) -> str:
        """``"METHOD /path?query"``: what a preset's rule regex is matched against."""
        return f"{self.method} {self.url}"


class MailRecord(msgspec.Struct, gc=False):
    """One message accepted by an SMTP mock, with the facts of its SMTP session.

    Untracked by the garbage collector, like :class:`RequestRecord`.
    """

    peer: tuple[str, int]
    """The sender's address and port, as 1.4 recorded it (a JSON list on the wire)."""
    mail_from: str
    rcpt_tos: tuple[str, ...]
    """The envelope recipients (Bcc included), as given to RCPT TO."""
    data: bytes
    """The message exactly as received (headers and body)."""
    time: float
    helo: str | None = None
    """The name the client gave in HELO or EHLO."""
    tls: bool = False
    """Whether the session was encrypted (STARTTLS) when the message was sent."""
    login: str | None = None
    password: str | None = None
    """Credentials given with AUTH, if any (any are accepted)."""
    mail_options: tuple[str, ...] = ()
    rcpt_options: tuple[str, ...] = ()


RECORD_OVERHEAD = 200
"""Bytes a record counts for beyond its own data: the object, its fields, a near miss or
two. A rough figure: the byte budget bounds memory, it does not measure it exactly."""


def recorded_bytes(record: RequestRecord | MailRecord) -> int:
    """How many bytes a record counts for against the server's --history-bytes."""
    if isinstance(record, RequestRecord):
        size = RECORD_OVERHEAD + len(record.body) + len(record.url) + len(record.method)
        if record.client_cert is not None:
            size += len(record.client_cert)
        for name, value in record.headers:
            size += len(name) + len(value)
        if record.webhook is not None:
            size += len(record.webhook.reply) + len(record.webhook.error or "")
        return size
    return (
        RECORD_OVERHEAD
        + len(record.data)
        + len(record.mail_from)
        + sum(len(to) for to in record.rcpt_tos)
        + len(record.peer)
    )
