"""What a protocol adapter records: one type per protocol, the same for history, API and UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pretenders.server.core.near_miss import NearMiss

Headers = tuple[tuple[str, str], ...]
"""Header (name, value) pairs in the order received, names in the case they were sent."""


@dataclass(slots=True)
class RequestRecord:
    """One HTTP request received by a mock, and what the mock answered."""

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

    @property
    def rule_line(self) -> str:
        """``"METHOD /path?query"``: what a preset's rule regex is matched against."""
        return f"{self.method} {self.url}"


@dataclass(slots=True)
class MailRecord:
    """One message accepted by an SMTP mock, with the facts of its SMTP session."""

    peer: str
    """``host:port`` of the sender."""
    mail_from: str
    rcpt_tos: list[str]
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
    mail_options: list[str] = field(default_factory=list)
    rcpt_options: list[str] = field(default_factory=list)
