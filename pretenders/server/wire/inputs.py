"""The wire's inputs: the JSON payloads the admin API accepts, decoded and checked, and
what each becomes in the core (a compiled rule, a reply, a timeout).

Base64 is decoded here and only here: the core sees and keeps bytes.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal, TypeVar

import msgspec

from pretenders.common.constants import FOREVER
from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import MatchRule
from pretenders.server.core.presets import Reply
from pretenders.server.core.registry import Timeout
from pretenders.server.core.reply_spec import ReplySpec
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.core.smtp_script import SmtpReply, check_stage
from pretenders.server.wire.text import field_of_error

ScalarValue = str | int | float
"""Header and form values: the 1.4 client let callers pass numbers, sent as their text."""


class CreateMock(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /http`` and ``POST /smtp``: create a mock, or join the one with that name."""

    name: str | None = None
    pretender_timeout: float | Literal["FOREVER"] | None = None


class CreateSmtpMock(CreateMock, forbid_unknown_fields=True):
    """``POST /smtp``: as for HTTP, plus the largest message this mock accepts."""

    size_limit: int | None = None
    """Bytes, 1 to 1 GiB; larger messages get 552 (default: the server's
    ``--smtp-size-limit``)."""


MAX_SMTP_SIZE_LIMIT = 1024 * 1024 * 1024
"""The largest ``size_limit`` an SMTP mock may advertise: 1 GiB, past anything a test
sends (a message is held whole in memory while it is received)."""


def check_options(payload: CreateMock) -> None:
    """Refuse creation options that are well-typed but unusable, naming the field."""
    size_limit = getattr(payload, "size_limit", None)
    if size_limit is not None and not 0 < size_limit <= MAX_SMTP_SIZE_LIMIT:
        raise InvalidInput(
            f"size_limit must be a number of bytes from 1 to {MAX_SMTP_SIZE_LIMIT} "
            f"(1 GiB), got {size_limit}",
            field="size_limit",
        )


class SmtpPresetIn(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /preset/<id>`` for an SMTP mock: a scripted reply at one stage."""

    stage: str
    """``connect``, ``helo``, ``mail``, ``rcpt`` or ``data``."""
    match: str | None = None
    """A regex (``re.match``) on the peer address, HELO name, MAIL FROM or RCPT TO address,
    or the message text, depending on the stage; null matches anything."""
    action: Literal["reply", "disconnect"] = "reply"
    status: int | None = None
    """The SMTP reply code (200-599); null keeps the normal reply (with ``after``: late)."""
    message: str = ""
    after: float = 0.0
    """Seconds to wait before this reply (or hang-up), at most 3600."""
    times: int | str = 1


RuleIn = RuleSpec
"""The request side of a preset: the rule language's one model, as it is."""


class ReplyIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a preset answers: the reply fields of ``POST /preset/<id>``."""

    status: int = 200
    headers: dict[str, ScalarValue] | None = None
    body: str = ""
    """The reply body, base64-encoded."""
    after: float = 0.0
    """Seconds to wait before answering, at most 3600; a client that leaves cancels it."""


class PresetIn(ReplyIn, forbid_unknown_fields=True, kw_only=True):
    """``POST /preset/<id>``: a canned reply. ``rule`` may also be the bare rule string."""

    rule: str | RuleIn | None = ""
    times: int | str = 1
    """A positive count, or ``"FOREVER"``."""
    priority: int | None = None
    """Tried before presets of a larger number (1 first); presets without one come after
    every preset with one. Ties: first added, first tried."""


class CreateHttpMock(CreateMock, forbid_unknown_fields=True):
    """``POST /http``: as for any mock, plus presets to add at once (one round trip
    instead of one per preset); all are checked before the mock is created."""

    presets: list[PresetIn] | None = None
    """At most the server's ``--max-presets``; a bad one is refused naming its index
    (``presets[2].rule``) and nothing is created."""


class FilterIn(RuleSpec, frozen=True, forbid_unknown_fields=True):
    """Which records to count: the preset rule language for HTTP requests, ``to`` and
    ``subject`` (regexes searched in recipients and Subject) for mails."""

    to: str | None = None
    subject: str | None = None


class WaitIn(FilterIn, frozen=True, forbid_unknown_fields=True):
    """``POST /wait/<id>``: a filter, how many matching records to wait for, and how long."""

    count: int = 1
    timeout: float = 5.0
    """Seconds, from 0 to 300."""


Payload = TypeVar("Payload", bound=msgspec.Struct)


def decode(payload_type: type[Payload], raw: bytes) -> Payload:
    """Decode a JSON payload, or fail with a message naming the field at fault."""
    try:
        return msgspec.json.decode(raw, type=payload_type)
    except msgspec.ValidationError as error:
        field, message = field_of_error(str(error))
        raise InvalidInput(f"{field}: {message}" if field else message, field=field) from None
    except msgspec.DecodeError as error:
        raise InvalidInput(f"the request body is not valid JSON: {error}") from None


def decode_base64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{field}: not valid base64", field=field) from None


def timeout_of(payload: CreateMock) -> Timeout | Literal["default"]:
    if payload.pretender_timeout is None:
        return "default"
    if payload.pretender_timeout == FOREVER:
        return None
    return float(payload.pretender_timeout)


def match_rule_of(rule: str | RuleSpec | None, *, timeout: float) -> MatchRule:
    """Compile the request side of a preset (a bad regex fails here, not later);
    ``timeout``: the server's ``--regex-timeout``."""
    if rule is None or isinstance(rule, str):
        return MatchRule(rule or "", timeout=timeout)
    return MatchRule.of(rule, timeout)


def reply_spec_of(payload: ReplyIn) -> ReplySpec:
    """The reply fields as data, base64 decoded (a field at fault is named)."""
    return ReplySpec(
        status=payload.status,
        headers=tuple(texts(payload.headers).items()),
        body=decode_base64(payload.body, "body"),
        after=payload.after,
    )


def reply_of(payload: ReplyIn) -> Reply:
    """The reply of a preset, its headers as given (the default type is added when sent)."""
    return Reply.from_spec(reply_spec_of(payload))


def smtp_reply_of(payload: SmtpPresetIn) -> SmtpReply:
    check_stage(payload.stage)  # first, so a misspelt stage is what the error names
    return SmtpReply(
        action=payload.action, status=payload.status, message=payload.message, after=payload.after
    )


def flag(text: str, field: str) -> bool:
    """A query-string boolean: true/false, 1/0, yes/no."""
    lowered = text.lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise InvalidInput(f"{field} must be true or false, got {text!r}", field=field)


def texts(values: dict[str, ScalarValue] | None) -> dict[str, str]:
    """Header or form values as text (the 1.4 client let callers pass numbers)."""
    return {
        name: value if isinstance(value, str) else str(value)
        for name, value in (values or {}).items()
    }
