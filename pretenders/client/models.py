"""What the clients read back: recorded requests and mails, near misses, attachments."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

__all__ = [
    "Attachment",
    "Difference",
    "HeaderDict",
    "HistoryStats",
    "NearMiss",
    "RecordedRequest",
    "SMTPMessage",
]


class HeaderDict(dict[str, str]):
    """A plain dict of headers whose lookups ignore the case of the name."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__(headers)
        self._by_lower = {name.lower(): name for name in headers}

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(self._by_lower.get(name.lower(), name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_lower

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(self._by_lower.get(name.lower(), name), default)


@dataclass(frozen=True)
class Difference:
    """One part of a request that did not match a preset."""

    field: str
    """``rule``, ``header <Name>``, ``body`` or ``data``; for the newer fields ``method``,
    ``path``, ``query <name>``, ``cookie <name>``, ``json``... (see docs/matching.md)."""
    expected: str
    actual: str


@dataclass(frozen=True)
class NearMiss:
    """A preset that came close to an unmatched request, and why it did not match."""

    preset: int
    """The preset's id."""
    rule: dict[str, Any]
    """The preset's rule: ``{"rule", "headers", "body", "data"}`` and the newer fields it
    sets (``path``, ``query``...)."""
    times: int | str
    """The preset's uses left when the request came (or ``"FOREVER"``)."""
    differences: list[Difference]
    rule_miss: str | None
    """``"method"`` or ``"path"`` when the rule missed on that half alone."""
    text: str
    """One readable line, as in the 404 body."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NearMiss:
        return cls(
            preset=int(data["preset"]),
            rule=dict(data["rule"]),
            times=data["times"],
            differences=[Difference(**d) for d in data["differences"]],
            rule_miss=data.get("rule_miss"),
            text=str(data["text"]),
        )

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class HistoryStats:
    """How much of what a mock received its history still holds.

    Past the server's ``--history-limit`` the oldest records are dropped: ``total`` counts
    every request (or mail) received since the last reset, ``kept`` those still recorded,
    ``dropped`` the others. ``limit`` is the server's limit (None: none).
    """

    total: int
    kept: int
    dropped: int
    limit: int | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryStats:
        limit = data.get("limit")
        return cls(
            total=int(data["total"]),
            kept=int(data["kept"]),
            dropped=int(data["dropped"]),
            limit=None if limit is None else int(limit),
        )


class RecordedRequest:
    """A request the mock received: ``method``, ``url``, ``headers``, ``body`` (bytes).

    ``matched`` tells whether a preset served it (``preset`` is that preset's id); when
    none did, ``near_misses`` lists the closest presets and what differed.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def method(self) -> str:
        return str(self.data["method"])

    @property
    def url(self) -> str:
        """The path below the mock, with the query string: ``/weather?city=barcelona``."""
        return str(self.data["url"])

    @property
    def headers(self) -> HeaderDict:
        return HeaderDict(self.data["headers"])

    @property
    def body(self) -> bytes:
        return base64.b64decode(self.data["body"])

    @property
    def matched(self) -> bool:
        """Whether a preset served this request."""
        return bool(self.data.get("matched", self.data.get("preset") is not None))

    @property
    def near_misses(self) -> list[NearMiss]:
        """When no preset matched: the closest presets (up to three), closest first."""
        return [NearMiss.from_dict(item) for item in self.data.get("near_misses") or []]

    @property
    def webhook(self) -> dict[str, Any] | None:
        """Set on a webhook call the server made (not a request the mock received):
        ``duration``, ``error`` and ``reply`` (the answer's start, base64)."""
        webhook = self.data.get("webhook")
        return dict(webhook) if webhook else None

    def as_dict(self) -> dict[str, Any]:
        return self.data

    def __getattr__(self, name: str) -> Any:
        # Any other recorded field (rule, time, status, ...), as the 1.4 client allowed.
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.method} {self.url}>"


@dataclass(frozen=True)
class Attachment:
    """A file attached to a mail."""

    filename: str | None
    content_type: str
    data: bytes


class SMTPMessage:
    """A mail the mock accepted: headers by name (``msg['Subject']``), bodies and envelope."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        raw = data.get("raw")
        self.raw: bytes = base64.b64decode(raw) if raw is not None else data["data"].encode()
        # SMTP carries lines ending in CRLF; as text they end in "\n", as Python writes them.
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw.replace(b"\r\n", b"\n"))
        self.message: EmailMessage = parsed

    def __getitem__(self, name: str) -> Any:
        """A header, decoded (``None`` if absent)."""
        return self.message[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.message.get(name, default)

    @property
    def subject(self) -> str:
        """The Subject, fully decoded (all of its encoded words)."""
        return str(self.message.get("Subject", ""))

    @property
    def text(self) -> str | None:
        """The plain-text body, or None if the mail has none."""
        return self._body("plain")

    @property
    def html(self) -> str | None:
        """The HTML body, or None if the mail has none."""
        return self._body("html")

    @property
    def content(self) -> str:
        """The text body, as 1.4 gave it (also for multipart mail); "" when there is none."""
        return self.text or ""

    @property
    def attachments(self) -> list[Attachment]:
        found = []
        for part in self.message.iter_attachments():
            data = part.get_payload(decode=True)
            found.append(
                Attachment(
                    filename=part.get_filename(),
                    content_type=part.get_content_type(),
                    data=data if isinstance(data, bytes) else b"",
                )
            )
        return found

    @property
    def mail_from(self) -> str:
        """The envelope sender (MAIL FROM)."""
        return str(self.data["mailfrom"])

    @property
    def rcpt_tos(self) -> list[str]:
        """The envelope recipients (RCPT TO), Bcc included."""
        return list(self.data["rcpttos"])

    @property
    def peer(self) -> tuple[str, int]:
        """The sender's ``(address, port)``; ``peer_text`` has it as ``"host:port"``."""
        host, port = self.data["peer"]
        return str(host), int(port)

    @property
    def peer_text(self) -> str:
        """The sender as ``"host:port"`` (``"[host]:port"`` for an IPv6 address)."""
        host, port = self.peer
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def __getattr__(self, name: str) -> Any:
        # Other recorded facts: helo, tls, login, password, time, ...
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None

    def _body(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_type() != f"text/{subtype}":
            return None
        return str(part.get_content())

    def __repr__(self) -> str:
        return f"<SMTPMessage from {self.mail_from} to {self.rcpt_tos}: {self.subject!r}>"
