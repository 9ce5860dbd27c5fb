"""The 1.4 wire format: JSON payloads in, JSON documents out.

Base64 lives here and only here: the core sees and keeps bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal, TypeVar

import msgspec

from pretenders.common.constants import FOREVER
from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.filters import MailFilter, RecordFilter, RequestFilter
from pretenders.server.core.history import HistoryStats
from pretenders.server.core.matching import MatchRule
from pretenders.server.core.near_miss import NearMiss, describe_near_miss
from pretenders.server.core.patterns import Pattern
from pretenders.server.core.presets import Preset, Reply
from pretenders.server.core.records import MailRecord, RequestRecord
from pretenders.server.core.registry import Mock, Timeout
from pretenders.server.core.smtp_script import SmtpPreset, SmtpReply, check_stage
from pretenders.server.core.waiting import WaitResult

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


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    """The request side of a preset."""

    rule: str | None = ""
    headers: dict[str, ScalarValue] | None = None
    body: str | None = None
    data: dict[str, ScalarValue] | None = None


class PresetIn(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /preset/<id>``: a canned reply. ``rule`` may also be the bare rule string."""

    rule: str | RuleIn | None = ""
    status: int = 200
    headers: dict[str, ScalarValue] | None = None
    body: str = ""
    """The reply body, base64-encoded."""
    times: int | str = 1
    """A positive count, or ``"FOREVER"``."""
    after: float = 0.0
    """Seconds to wait before answering, at most 3600; a client that leaves cancels it."""


class FilterIn(msgspec.Struct, forbid_unknown_fields=True):
    """Which records to count: the preset rule language for HTTP requests, ``to`` and
    ``subject`` (regexes searched in recipients and Subject) for mails."""

    rule: str | None = None
    headers: dict[str, ScalarValue] | None = None
    body: str | None = None
    data: dict[str, ScalarValue] | None = None
    to: str | None = None
    subject: str | None = None


class WaitIn(FilterIn, forbid_unknown_fields=True):
    """``POST /wait/<id>``: a filter, how many matching records to wait for, and how long."""

    count: int = 1
    timeout: float = 5.0
    """Seconds, from 0 to 300."""


class WaitRequestsOut(msgspec.Struct):
    """The end of a wait on an HTTP mock: met, or timed out with what was seen so far."""

    met: bool
    count: int
    """How many matching requests were seen (may exceed ``wanted``)."""
    wanted: int
    message: str
    requests: list[RequestOut]


class WaitMailsOut(msgspec.Struct):
    """The end of a wait on an SMTP mock: met, or timed out with what was seen so far."""

    met: bool
    count: int
    """How many matching mails were seen (may exceed ``wanted``)."""
    wanted: int
    message: str
    mails: list[MailOut]


class CountOut(msgspec.Struct):
    """``POST /count/<id>``: how many recorded requests or mails match."""

    count: int
    dropped: int = 0
    """Records (of any kind) the server's ``--history-limit`` pushed out of this mock's
    history since its last reset: ``count`` only covers the records kept."""


class HistoryStatsOut(msgspec.Struct):
    """``GET /stats/<id>``: how much of what the mock received its history still holds."""

    total: int
    """Requests or mails received since the last reset."""
    kept: int
    """How many of them the history holds: the newest ones."""
    dropped: int
    """How many of the oldest the history limit pushed out (``total - kept``)."""
    limit: int | None
    """The most records the mock keeps (the server's ``--history-limit``; null: none)."""


class CreatedHttpMock(msgspec.Struct):
    id: str
    path: str


class CreatedSmtpMock(msgspec.Struct):
    id: str
    full_host: str


class MockInfo(msgspec.Struct):
    """``GET /http/<id>``: exactly these five keys, which the 1.4 client parses."""

    name: str
    protocol: str
    start: str
    last_call: str
    timeout: str


class RuleOut(msgspec.Struct):
    rule: str
    headers: dict[str, str] | None
    body: str | None
    data: dict[str, str] | None


class PresetOut(msgspec.Struct):
    rule: RuleOut
    status: int
    headers: dict[str, str]
    body: str
    times: int | str
    """Uses left: a count, or ``"FOREVER"``."""
    after: float
    id: int
    served: int
    """Requests this preset has answered so far."""


class DifferenceOut(msgspec.Struct):
    """One part of a request that did not match a preset."""

    field: str
    """``rule``, ``header <Name>``, ``body`` or ``data``."""
    expected: str
    actual: str


class NearMissOut(msgspec.Struct):
    """A preset that came close to an unmatched request, and what differed."""

    preset: int
    """The preset's id."""
    rule: RuleOut
    times: int | str
    """The preset's uses left when the request came."""
    differences: list[DifferenceOut]
    rule_miss: str | None
    """``"method"`` or ``"path"`` when the rule missed on that half of "METHOD /path" alone."""
    text: str
    """The same, as one line of the 404 text."""


class SmtpPresetOut(msgspec.Struct):
    id: int
    stage: str
    match: str | None
    action: str
    status: int | None
    message: str
    after: float
    times: int | str


class RequestOut(msgspec.Struct):
    method: str
    url: str
    headers: dict[str, str]
    body: str
    rule: str
    time: str
    status: int | None
    preset: int | None
    """The id of the preset that served it; null when nothing matched."""
    matched: bool
    near_misses: list[NearMissOut]
    """When nothing matched: the closest presets (up to 3), closest first; empty when the
    mock had no presets, and for matched requests."""
    body_too_large: bool
    """The body was over the server's --max-body-size: the request got a 413 without
    being matched against the presets, and its body was not kept."""


class MailOut(msgspec.Struct):
    """A recorded mail: the 1.4 keys (``peer``, ``mailfrom``, ``rcpttos``, ``data``,
    ``rule``) and more."""

    peer: tuple[str, int]
    """The sender's ``[address, port]``, a JSON list as in 1.4."""
    mailfrom: str
    rcpttos: list[str]
    data: str
    """The message as text (undecodable bytes shown as U+FFFD); ``raw`` has the bytes."""
    raw: str
    """The message exactly as received, base64-encoded."""
    time: str
    helo: str | None
    tls: bool
    login: str | None
    password: str | None
    mail_options: list[str]
    rcpt_options: list[str]
    rule: str = ""
    """Always empty: 1.4 recorded mails with an empty rule, and kept the key."""


class HealthOut(msgspec.Struct):
    """``GET /health``: the server is up."""

    status: Literal["ok"] = "ok"


class ErrorItem(msgspec.Struct):
    code: str
    message: str
    field: str | None = None


class ErrorOut(msgspec.Struct):
    """Every admin 4xx: ``{"errors": [{"code", "message", "field"}]}``."""

    errors: list[ErrorItem]


Payload = TypeVar("Payload", bound=msgspec.Struct)

_AT_PATH = re.compile(r" - at `\$\.?([^`]*)`$")


def decode(payload_type: type[Payload], raw: bytes) -> Payload:
    """Decode a JSON payload, or fail with a message naming the field at fault."""
    try:
        return msgspec.json.decode(raw, type=payload_type)
    except msgspec.ValidationError as error:
        text = str(error)
        found = _AT_PATH.search(text)
        field = (found.group(1) or None) if found else None
        message = _AT_PATH.sub("", text)
        raise InvalidInput(f"{field}: {message}" if field else message, field=field) from None
    except msgspec.DecodeError as error:
        raise InvalidInput(f"the request body is not valid JSON: {error}") from None


def decode_base64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{field}: not valid base64", field=field) from None


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def timeout_of(payload: CreateMock) -> Timeout | Literal["default"]:
    if payload.pretender_timeout is None:
        return "default"
    if payload.pretender_timeout == FOREVER:
        return None
    return float(payload.pretender_timeout)


def match_rule_of(rule: str | RuleIn | None, *, timeout: float) -> MatchRule:
    """Compile the request side of a preset (a bad regex fails here, not later);
    ``timeout``: the server's ``--regex-timeout``."""
    if rule is None or isinstance(rule, str):
        return MatchRule(rule or "", timeout=timeout)
    return MatchRule(
        rule.rule or "",
        headers=_texts(rule.headers),
        body=rule.body,
        data=_texts(rule.data),
        timeout=timeout,
    )


def filter_of(payload: FilterIn, protocol: str, *, timeout: float) -> RecordFilter:
    """The filter a payload describes, for a mock of that protocol; ``timeout``: the
    server's ``--regex-timeout``."""
    request_fields = [
        name for name in ("rule", "headers", "body", "data") if getattr(payload, name) is not None
    ]
    mail_fields = [name for name in ("to", "subject") if getattr(payload, name) is not None]
    if protocol == "smtp":
        if request_fields:
            raise InvalidInput(
                f"{request_fields[0]} filters HTTP requests; mails filter by to and subject",
                field=request_fields[0],
            )
        return MailFilter(
            _regex(payload.to, "to", timeout), _regex(payload.subject, "subject", timeout)
        )
    if mail_fields:
        raise InvalidInput(
            f"{mail_fields[0]} filters mails; HTTP requests filter by rule, headers, body, data",
            field=mail_fields[0],
        )
    if not request_fields:
        return RequestFilter()
    try:
        rule = MatchRule(
            payload.rule or "",
            headers=_texts(payload.headers),
            body=payload.body,
            data=_texts(payload.data),
            timeout=timeout,
        )
    except InvalidInput as error:
        # MatchRule names fields as nested in a preset ("rule.body"); here they are flat.
        nested = error.field or ""
        flat = nested.removeprefix("rule.")
        raise InvalidInput(error.message.replace(nested, flat, 1), field=flat) from None
    return RequestFilter(rule)


HISTORY_FILTERS = {
    "method": "HTTP requests with this method (any case)",
    "url": "HTTP requests whose URL (below the mock) contains a match of this regex",
    "matched": "true: HTTP requests a preset served; false: those that got the 404",
    "to": "Mails with a recipient (envelope, To or Cc) containing a match of this regex",
    "subject": "Mails whose decoded Subject contains a match of this regex",
}
"""The query parameters that filter ``GET /history/<id>``."""


def history_filter(
    query: Mapping[str, str], protocol: str | None, *, timeout: float
) -> RecordFilter | None:
    """The filter of a history query (None for none); ``protocol`` is None for unknown mocks,
    ``timeout`` the server's ``--regex-timeout``."""
    unknown = sorted(set(query) - set(HISTORY_FILTERS))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a history filter; use {', '.join(HISTORY_FILTERS)}",
            field=unknown[0],
        )
    if not query:
        return None
    mail_fields = [name for name in ("to", "subject") if name in query]
    request_fields = [name for name in ("method", "url", "matched") if name in query]
    if mail_fields and request_fields:
        raise InvalidInput(
            f"{request_fields[0]} filters HTTP requests and {mail_fields[0]} filters mails: "
            "use one kind",
            field=mail_fields[0],
        )
    if mail_fields:
        found: RecordFilter = MailFilter(
            _regex(query.get("to"), "to", timeout),
            _regex(query.get("subject"), "subject", timeout),
        )
    else:
        matched = query.get("matched")
        found = RequestFilter(
            method=query.get("method"),
            url=_regex(query.get("url"), "url", timeout),
            matched=None if matched is None else flag(matched, "matched"),
        )
    if protocol is not None and found.protocol != protocol:
        field = (mail_fields or request_fields)[0]
        raise InvalidInput(
            f"{field} filters {'mails' if mail_fields else 'HTTP requests'}, "
            f"and this is an {protocol.upper()} mock",
            field=field,
        )
    return found


def flag(text: str, field: str) -> bool:
    """A query-string boolean: true/false, 1/0, yes/no."""
    lowered = text.lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise InvalidInput(f"{field} must be true or false, got {text!r}", field=field)


def _regex(pattern: str | None, field: str, timeout: float) -> Pattern | None:
    return None if pattern is None else Pattern(pattern, field, timeout)


def reply_of(payload: PresetIn) -> Reply:
    """The reply of a preset, its headers as given (the default type is added when sent)."""
    return Reply(
        status=payload.status,
        headers=tuple(_texts(payload.headers).items()),
        body=decode_base64(payload.body, "body"),
        after=payload.after,
    )


def _texts(values: dict[str, ScalarValue] | None) -> dict[str, str]:
    return {
        name: value if isinstance(value, str) else str(value)
        for name, value in (values or {}).items()
    }


def format_time(seconds: float) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` in local time, as 1.4 wrote ``str(datetime)``."""
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S.%f")


def format_timeout(timeout: Timeout) -> str:
    """``str(timedelta)`` (``"0:02:00"``) or ``"FOREVER"``.

    Past a day, hours keep counting (``"26:00:00"``) instead of ``"1 day, 2:00:00"``,
    which the 1.4 client could not parse.
    """
    if timeout is None:
        return FOREVER
    delta = timedelta(seconds=timeout)
    if delta.days == 0:
        return str(delta)
    hours = delta.days * 24 + delta.seconds // 3600
    rest = timedelta(seconds=delta.seconds % 3600, microseconds=delta.microseconds)
    return f"{hours}:{str(rest).split(':', 1)[1]}"


def history_stats(stats: HistoryStats) -> HistoryStatsOut:
    return HistoryStatsOut(
        total=stats.total, kept=stats.kept, dropped=stats.dropped, limit=stats.limit
    )


def mock_info(mock: Mock) -> MockInfo:
    return MockInfo(
        name=mock.name,
        protocol=mock.protocol,
        start=format_time(mock.start),
        last_call=format_time(mock.last_call),
        timeout=format_timeout(mock.timeout),
    )


def rule_out(rule: MatchRule) -> RuleOut:
    return RuleOut(rule=rule.rule, headers=rule.headers or None, body=rule.body, data=rule.data)


def preset_out(preset: Preset) -> PresetOut:
    reply = preset.reply
    return PresetOut(
        rule=rule_out(preset.rule),
        status=reply.status,
        headers=dict(reply.headers),
        body=encode_base64(reply.body),
        times=preset.times_left,
        after=reply.after,
        id=preset.id,
        served=preset.served,
    )


def near_miss_out(miss: NearMiss) -> NearMissOut:
    return NearMissOut(
        preset=miss.preset_id,
        rule=rule_out(miss.rule),
        times=miss.times_left,
        differences=[
            DifferenceOut(
                field=_clean(d.field), expected=_clean(d.expected), actual=_clean(d.actual)
            )
            for d in miss.differences
        ],
        rule_miss=miss.rule_miss,
        text=describe_near_miss(miss),
    )


def request_out(record: RequestRecord) -> RequestOut:
    return RequestOut(
        method=record.method,
        url=_clean(record.url),
        headers=_header_dict(record.headers),
        body=encode_base64(record.body),
        rule=_clean(record.rule_line),
        time=format_time(record.time),
        status=record.status,
        preset=record.preset_id,
        matched=record.preset_id is not None,
        near_misses=[near_miss_out(miss) for miss in record.near_misses],
        body_too_large=record.body_too_large,
    )


def mail_out(record: MailRecord) -> MailOut:
    return MailOut(
        peer=record.peer,
        mailfrom=record.mail_from,
        rcpttos=list(record.rcpt_tos),
        data=record.data.decode("utf-8", errors="replace"),
        raw=encode_base64(record.data),
        time=format_time(record.time),
        helo=record.helo,
        tls=record.tls,
        login=record.login,
        password=record.password,
        mail_options=list(record.mail_options),
        rcpt_options=list(record.rcpt_options),
    )


def smtp_reply_of(payload: SmtpPresetIn) -> SmtpReply:
    check_stage(payload.stage)  # first, so a misspelt stage is what the error names
    return SmtpReply(
        action=payload.action, status=payload.status, message=payload.message, after=payload.after
    )


def smtp_preset_out(preset: SmtpPreset) -> SmtpPresetOut:
    reply = preset.reply
    return SmtpPresetOut(
        id=preset.id,
        stage=preset.stage,
        match=preset.pattern,
        action=reply.action,
        status=reply.status,
        message=reply.message,
        after=reply.after,
        times=preset.times_left,
    )


def record_out(record: RequestRecord | MailRecord) -> RequestOut | MailOut:
    return request_out(record) if isinstance(record, RequestRecord) else mail_out(record)


def _header_dict(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Headers as the 1.4 JSON object: a repeated header's values joined by ", "."""
    joined: dict[str, str] = {}
    for name, value in headers:
        name, value = _clean(name), _clean(value)
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


def _clean(text: str) -> str:
    """Undecodable bytes (kept as surrogates by the HTTP parser) shown as U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def wait_out(protocol: str, result: WaitResult, wanted: int, timeout: float) -> msgspec.Struct:
    """The answer to a wait, for a mock of that protocol."""
    kind = "mails" if protocol == "smtp" else "requests"
    seen = len(result.records)
    if result.met:
        message = f"got {seen} matching {kind if seen != 1 else kind[:-1]} (wanted {wanted})"
    else:
        message = f"timed out after {timeout:g} s with {seen} of {wanted} matching {kind}"
    if protocol == "smtp":
        mails = [mail_out(r) for r in result.records if isinstance(r, MailRecord)]
        return WaitMailsOut(met=result.met, count=seen, wanted=wanted, message=message, mails=mails)
    requests = [request_out(r) for r in result.records if isinstance(r, RequestRecord)]
    return WaitRequestsOut(
        met=result.met, count=seen, wanted=wanted, message=message, requests=requests
    )
