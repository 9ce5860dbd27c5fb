"""``PretenderModel``: what the server says about one mock (``GET /http/<id>``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pretenders.common.constants import FOREVER, Forever


def parse_timedelta(text: str) -> timedelta:
    """``"0:02:00"`` (hours may exceed 23) -> timedelta."""
    hours, minutes, seconds = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=float(seconds))


def parse_datetime(text: str) -> datetime:
    """``"YYYY-MM-DD HH:MM:SS[.ffffff]"`` -> datetime."""
    if "." in text:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


@dataclass
class PretenderModel:
    """A mock as described by the server: name, protocol, start, last call and timeout."""

    start: datetime
    name: str
    timeout: timedelta | Forever
    last_call: datetime
    protocol: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PretenderModel:
        timeout = data["timeout"]
        return cls(
            start=parse_datetime(data["start"]),
            name=data["name"],
            timeout=FOREVER if timeout == FOREVER else parse_timedelta(timeout),
            last_call=parse_datetime(data["last_call"]),
            protocol=data["protocol"],
        )

    @classmethod
    def from_json_response(cls, response_data: bytes) -> PretenderModel:
        return cls.from_dict(json.loads(response_data))

    def __str__(self) -> str:
        return f"Name: {self.name}, last_call: {self.last_call}, timeout: {self.timeout}"


__all__ = ["PretenderModel"]
