"""The UI's forms: what they hold, and how they become mocks and presets.

Values are checked by the same core code as the admin API's payloads, so a form
refuses exactly what the API refuses; the message then names the form's field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal

from pretenders.common.constants import FOREVER
from pretenders.server import wire
from pretenders.server.core.errors import CoreError
from pretenders.server.core.matching import MatchRule
from pretenders.server.core.presets import Reply, Times, check_times

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An HTTP header name (RFC 9110 token)."""

# The core names fields as the admin API's payload does; the form names them its own way.
_FORM_FIELD = {"rule.rule": "rule", "rule.body": "body_rule", "rule": "rule"}


class FormError(CoreError):
    """A form value that cannot be used; ``field`` names the form input."""


def _text(data: Mapping[str, object], name: str, default: str = "") -> str:
    value = data.get(name, default)
    return value if isinstance(value, str) else default


@dataclass
class PresetForm:
    """The "add a preset" form, as typed (kept to show it again with an error)."""

    rule: str = ""
    match_headers: str = ""
    body_rule: str = ""
    status: str = "200"
    headers: str = "Content-Type: application/json"
    body: str = ""
    times: str = "1"
    forever: bool = False
    after: str = "0"

    @classmethod
    def from_post(cls, data: Mapping[str, object]) -> PresetForm:
        values = {f.name: _text(data, f.name) for f in fields(cls) if f.name != "forever"}
        return cls(**values, forever=bool(data.get("forever")))

    def build(self, regex_timeout: float) -> tuple[MatchRule, Reply, Times]:
        """The preset's rule, reply and uses; FormError naming the input at fault.
        ``regex_timeout``: the server's ``--regex-timeout``."""
        try:
            rule = MatchRule(
                self.rule,
                headers=header_lines(self.match_headers, "match_headers"),
                body=self.body_rule or None,
                timeout=regex_timeout,
            )
            headers = header_lines(self.headers, "headers")
            reply = Reply(
                status=_int(self.status, "status"),
                headers=tuple(headers.items()),
                # Browsers send a textarea's line breaks as CRLF; a typed body means LF.
                body=self.body.replace("\r\n", "\n").encode("utf-8"),
                after=_float(self.after, "after"),
            )
            times = FOREVER if self.forever else check_times(_int(self.times, "times"))
        except FormError:
            raise
        except CoreError as error:
            field = _FORM_FIELD.get(error.field or "", error.field)
            # The core names the admin API's field ("rule.body: ..."); name the form's instead.
            message = error.message.removeprefix(f"{error.field}: ")
            raise FormError(f"{field}: {message}" if field else message, field=field) from None
        return rule, reply, times


def header_lines(text: str, field: str) -> dict[str, str]:
    """``Name: value`` lines (blank lines skipped) as a dict."""
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not _TOKEN.fullmatch(name):
            raise FormError(f"{field}: expected lines like 'Name: value', got {line!r}", field)
        headers[name] = value.strip()
    return headers


def _int(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise FormError(f"{field} must be a whole number, got {text!r}", field) from None


def _float(text: str, field: str) -> float:
    try:
        return float(text.strip() or "0")
    except ValueError:
        raise FormError(f"{field} must be a number of seconds, got {text!r}", field) from None


@dataclass
class MockForm:
    """The "new mock" form."""

    protocol: Literal["http", "smtp"] = "http"
    name: str = ""
    timeout: str = ""

    @classmethod
    def from_post(cls, data: Mapping[str, object]) -> MockForm:
        protocol: Literal["http", "smtp"] = "smtp" if _text(data, "protocol") == "smtp" else "http"
        return cls(protocol, _text(data, "name").strip(), _text(data, "timeout").strip())

    def options(self) -> wire.CreateMock:
        """The admin API's create payload for this form (a blank timeout: the default)."""
        timeout: float | Literal["FOREVER"] | None = None
        if self.timeout.upper() in (FOREVER, "NEVER"):
            timeout = FOREVER
        elif self.timeout:
            try:
                timeout = float(self.timeout)
            except ValueError:
                raise FormError(
                    f'timeout must be a number of seconds or "FOREVER", got {self.timeout!r}',
                    "timeout",
                ) from None
        payload = wire.CreateSmtpMock if self.protocol == "smtp" else wire.CreateMock
        return payload(name=self.name or None, pretender_timeout=timeout)
