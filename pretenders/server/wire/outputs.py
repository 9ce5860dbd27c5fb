"""The wire's outputs: the JSON documents the admin API answers, made from the core's
records, presets and counts.

Base64 is encoded here and only here: the core sees and keeps bytes.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from pretenders.server.core.delays import DelaySpec
from pretenders.server.core.history import HistoryStats
from pretenders.server.core.matching import MatchRule
from pretenders.server.core.near_miss import describe_near_miss
from pretenders.server.core.pacing import PacingSpec
from pretenders.server.core.presets import Preset
from pretenders.server.core.proxy_spec import ProxySpec
from pretenders.server.core.records import MailRecord, NearMiss, RequestRecord, WebhookCall
from pretenders.server.core.registry import Mock
from pretenders.server.core.reply_spec import WebhookSpec
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.core.smtp_script import SmtpPreset
from pretenders.server.core.state_machines import StateSpec
from pretenders.server.core.waiting import WaitResult
from pretenders.server.wire.text import clean, format_time, format_timeout, wait_message


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


class CreatedHttpMock(msgspec.Struct, omit_defaults=True):
    id: str
    path: str
    url: str | None = None
    """A mock on a port of its own: its base URL (``http://127.0.0.1:PORT``, or
    ``https://...`` with ``tls``), served at ``/``; absent otherwise."""
    hosts: list[str] | None = None
    """The host names it answers to, when given."""
    ca: str | None = None
    """With ``tls``: the certificate authority (PEM) its certificates are signed by, for
    clients to trust (the same as ``GET /tls/ca.pem`` of the process that opened it)."""


class CreatedSmtpMock(msgspec.Struct):
    id: str
    full_host: str


class ClientCertificateOut(msgspec.Struct):
    """A client certificate and its private key, both PEM."""

    certificate: str
    """The certificate, then the authority's (a chain, as clients load it)."""
    key: str


class MockInfo(msgspec.Struct, omit_defaults=True):
    """``GET /http/<id>``: the five keys the 1.4 client parses, and ``url`` and ``hosts``
    for a mock created with them (absent otherwise)."""

    name: str
    protocol: str
    start: str
    last_call: str
    timeout: str
    url: str | None = None
    """A mock on a port of its own: its base URL."""
    hosts: list[str] | None = None


ONE_FOUR_FIELDS = ("rule", "headers", "body", "data")
"""Always in an answer (null when not set), as 1.4 answered them."""


def _rule_out_type() -> Any:
    """The rule as answered: :class:`RuleSpec`'s fields, 1.4's always there, the others
    only when set (so that a new rule field is one change, in ``RuleSpec``)."""
    fields: list[Any] = []
    for field in msgspec.structs.fields(RuleSpec):
        if field.name in ONE_FOUR_FIELDS:
            fields.append((field.name, field.type))
        else:
            default = field.default if field.default is not msgspec.NODEFAULT else None
            fields.append((field.name, field.type, default))
    fields.sort(key=lambda item: len(item) == 3)  # required fields first
    renamed = {f.name: f.encode_name for f in msgspec.structs.fields(RuleSpec)}
    return msgspec.defstruct("RuleOut", fields, omit_defaults=True, rename=renamed, module=__name__)


if TYPE_CHECKING:
    RuleOut = RuleSpec
else:
    RuleOut = _rule_out_type()


class WebhookOut(msgspec.Struct):
    """A webhook of a preset, every field shown."""

    url: str
    method: str
    headers: dict[str, str]
    body: str
    template: bool
    after: float
    timeout: float


class PresetOut(msgspec.Struct, omit_defaults=True):
    rule: RuleOut
    status: int | str
    """The status code; a templated one as given."""
    headers: dict[str, str]
    body: str
    times: int | str
    """Uses left: a count, or ``"FOREVER"``."""
    after: float
    id: int
    served: int
    """Requests this preset has answered so far."""
    priority: int | None = None
    """Only when given: tried before presets of a larger number or none."""
    template: bool = False
    """Only when set: status, header values and body are rendered per request."""
    body_file: str | None = None
    """Only when given: the body is this file's under the server's ``--files-root``."""
    fault: str | None = None
    """Only when given: the network fault served instead of a reply."""
    pacing: PacingSpec | None = None
    """Only when given: how the body is sent over time."""
    delay: DelaySpec | None = None
    """Only when given: the distribution each request's delay is drawn from."""
    replies: list[ReplyOut] | None = None
    """Only for a preset of several replies (the fields above then show the first)."""
    pick: str | None = None
    """With ``replies``: sequence, cycle or random."""
    seed: int | None = None
    state: StateSpec | None = None
    """Only for a preset with a state machine."""
    webhooks: list[WebhookOut] | None = None
    """Only when given: the requests the server sends after each reply."""
    proxy: ProxySpec | None = None
    """Only for a proxy preset: the upstream it forwards to (``record``: a recorder)."""


class ReplyOut(msgspec.Struct, omit_defaults=True):
    """One reply of a preset's ``replies``."""

    status: int
    headers: dict[str, str]
    body: str
    after: float = 0.0
    weight: float | None = None


class StateOut(msgspec.Struct):
    """One state machine instance of a mock (``GET /state/<id>`` lists those not in
    ``start``)."""

    machine: str
    key: str | None
    """None: the machine's unkeyed instance."""
    state: str


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


class WebhookCallOut(msgspec.Struct):
    """How a webhook call went (the record's method, url, headers and body are those sent,
    its status the answer's)."""

    duration: float
    """Seconds from sending to the end of the answer, or to the error."""
    error: str | None
    """Why there was no answer (refused, timed out, skipped past --webhook-max, a
    template that failed); null when one came."""
    reply: str
    """The start of the answer's body, base64-encoded (at most 4 KiB)."""


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
    tls: bool = False
    """It came over HTTPS (a mock on a port of its own)."""
    server_name: str | None = None
    """The host name asked for in the TLS handshake (SNI), or null."""
    client_cert: str | None = None
    """The subject of the client's certificate (``CN=alice``), or null."""
    client_cert_sha256: str | None = None
    """Its SHA-256 fingerprint (hex), or null."""
    """The body was over the server's --max-body-size: the request got a 413 without
    being matched against the presets, and its body was not kept."""
    fault: str | None = None
    """The network fault served instead of a reply (``reset``, ``empty``, ``garbage``,
    ``malformed_chunk``); ``status`` is null unless a status line was sent."""
    delay: float | None = None
    """Seconds the reply was held back, drawn from the preset's ``delay``."""
    webhook: WebhookCallOut | None = None
    """Null for a request the mock received; set on a webhook call the server made after
    serving preset ``preset`` (``url`` is then the absolute URL called)."""
    proxied: str | None = None
    """The upstream URL a proxy preset forwarded it to (``status``: the upstream's)."""
    proxy_error: str | None = None
    """Why the upstream gave no answer (then ``status`` is 502 or 504)."""


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


class HealthOut(msgspec.Struct, omit_defaults=True):
    """``GET /health``: the server is up (200, ``ok``), or up but its store does not
    answer (503, ``degraded``, with the store and the problem)."""

    status: Literal["ok", "degraded"]
    """No default: ``omit_defaults`` would leave ``ok`` out, and health checks read it."""
    store: str | None = None
    problem: str | None = None


class ErrorItem(msgspec.Struct):
    code: str
    message: str
    field: str | None = None


class ErrorOut(msgspec.Struct):
    """Every admin 4xx: ``{"errors": [{"code", "message", "field"}]}``."""

    errors: list[ErrorItem]


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


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
        url=_text_or_none(mock.details.get("url")),
        hosts=_hosts_of(mock.details.get("hosts")),
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _hosts_of(value: object) -> list[str] | None:
    return [str(host) for host in value] if isinstance(value, list) and value else None


def rule_out(rule: MatchRule | RuleSpec) -> Any:
    """A preset's or a near miss's rule as answered."""
    spec = rule.spec if isinstance(rule, MatchRule) else rule
    # asdict, not structs.fields: that one evaluates the annotations again on every call
    # (about 0.7 ms, a third of an admin call)
    values = msgspec.structs.asdict(spec)
    values["rule"] = spec.rule or ""
    values["headers"] = spec.headers or None
    values["data"] = spec.data or None
    return RuleOut(**values)


def preset_out(preset: Preset) -> PresetOut:
    reply = preset.reply
    out = PresetOut(
        rule=rule_out(preset.rule),
        status=reply.status if reply.status_text is None else reply.status_text,
        headers=dict(reply.headers),
        body=encode_base64(reply.body),
        times=preset.times_left,
        after=reply.after,
        id=preset.id,
        served=preset.served,
        priority=preset.priority,
        template=reply.template,
        body_file=reply.body_file,
        fault=reply.fault,
        pacing=reply.pacing,
        delay=reply.delay,
        webhooks=[webhook_out(webhook.spec) for webhook in reply.webhooks] or None,
        proxy=reply.proxy,
    )

    extra = preset.extra
    if extra is not None:
        out.state = extra.spec.state
        choice = extra.choice
        if choice is not None:
            weighted = choice.pick == "random"
            out.pick = choice.pick
            out.seed = choice.seed
            out.replies = [
                ReplyOut(
                    status=one.status,
                    headers=dict(one.headers),
                    body=encode_base64(one.body),
                    after=one.after,
                    weight=weight if weighted else None,
                )
                for one, weight in zip(choice.replies, choice.weights, strict=True)
            ]
    return out


def webhook_out(spec: WebhookSpec) -> WebhookOut:
    return WebhookOut(
        url=spec.url,
        method=spec.method,
        headers=dict(spec.headers),
        body=spec.body,
        template=spec.template,
        after=spec.after,
        timeout=spec.timeout,
    )


def state_out(entry: tuple[str, str | None, str]) -> StateOut:
    machine, key, state = entry
    return StateOut(machine=machine, key=key, state=state)


def near_miss_out(miss: NearMiss) -> NearMissOut:
    return NearMissOut(
        preset=miss.preset_id,
        rule=rule_out(miss.rule),
        times=miss.times_left,
        differences=[
            DifferenceOut(field=clean(d.field), expected=clean(d.expected), actual=clean(d.actual))
            for d in miss.differences
        ],
        rule_miss=miss.rule_miss,
        text=describe_near_miss(miss),
    )


def request_out(record: RequestRecord) -> RequestOut:
    return RequestOut(
        method=record.method,
        url=clean(record.url),
        headers=_header_dict(record.headers),
        body=encode_base64(record.body),
        rule=clean(record.rule_line),
        time=format_time(record.time),
        status=record.status,
        preset=record.preset_id,
        matched=record.preset_id is not None,
        near_misses=[near_miss_out(miss) for miss in record.near_misses],
        body_too_large=record.body_too_large,
        fault=record.fault,
        delay=record.delay,
        webhook=None if record.webhook is None else webhook_call_out(record.webhook),
        tls=record.tls,
        server_name=record.server_name,
        client_cert=record.client_cert,
        client_cert_sha256=record.client_cert_sha256,
        proxied=record.proxied,
        proxy_error=record.proxy_error,
    )


def webhook_call_out(call: WebhookCall) -> WebhookCallOut:
    return WebhookCallOut(duration=call.duration, error=call.error, reply=encode_base64(call.reply))


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
        name, value = clean(name), clean(value)
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


def wait_out(protocol: str, result: WaitResult, wanted: int, timeout: float) -> msgspec.Struct:
    """The answer to a wait, for a mock of that protocol."""
    seen = len(result.records)
    message = wait_message(protocol, result.met, seen, wanted, timeout)
    if protocol == "smtp":
        mails = [mail_out(r) for r in result.records if isinstance(r, MailRecord)]
        return WaitMailsOut(met=result.met, count=seen, wanted=wanted, message=message, mails=mails)
    requests = [request_out(r) for r in result.records if isinstance(r, RequestRecord)]
    return WaitRequestsOut(
        met=result.met, count=seen, wanted=wanted, message=message, requests=requests
    )
