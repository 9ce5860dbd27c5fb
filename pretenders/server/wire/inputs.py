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
from pretenders.server.certificates import valid_host_name
from pretenders.server.core.delays import DelaySpec
from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import MatchRule
from pretenders.server.core.pacing import PacingSpec
from pretenders.server.core.preset_extra import ExtraSpec
from pretenders.server.core.presets import Reply
from pretenders.server.core.proxy_spec import ProxySpec
from pretenders.server.core.registry import Timeout
from pretenders.server.core.reply_render import DEFAULT_OPTIONS, ReplyOptions
from pretenders.server.core.reply_spec import ReplySpec, WebhookSpec
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.core.smtp_script import SmtpReply, check_stage
from pretenders.server.core.state_machines import StateSpec
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


class CreateHttpMock(CreateMock, forbid_unknown_fields=True):
    """``POST /http``: as 1.4, plus where the mock answers besides ``/mockhttp/<id>``,
    and presets to add at once."""

    port: int | None = None
    """Serve the mock at ``/`` on a port of its own: a number, or 0 for a free one (on
    the server's ``--host``); null: only below ``/mockhttp/<id>``."""
    tls: bool = False
    """With ``port``: serve HTTPS, with certificates signed by the server's authority
    (``GET /tls/ca.pem``)."""
    hosts: list[str] | None = None
    """The host names the mock answers to (the first is its main one): with ``tls``, the
    names its certificates are issued for (SNI); rules tell them apart with ``host``."""
    client_cert: str | None = None
    """``required`` or ``optional``, with ``tls``: ask clients for a certificate signed by
    the server's authority (``POST /tls/client-certificate`` makes one); ``required``
    refuses a client without one."""
    presets: list[PresetIn] | None = None
    """Presets added in the same call (one round trip instead of one per preset): at most
    the server's ``--max-presets``, all checked before the mock is created; a bad one is
    refused naming its index (``presets[2].rule``) and nothing is created."""


MAX_HOSTS = 100
"""Host names one mock may list."""


def _check_http_options(payload: CreateHttpMock) -> None:
    if payload.port is not None and not 0 <= payload.port <= 65535:
        raise InvalidInput(
            f"port must be 0 (a free port) to 65535, got {payload.port}", field="port"
        )
    if payload.tls and payload.port is None:
        raise InvalidInput(
            'tls needs a port of its own: add "port": 0 (or a port number)', field="tls"
        )
    if payload.client_cert not in (None, "required", "optional"):
        raise InvalidInput(
            f'client_cert must be "required" or "optional" (or null), got '
            f"{payload.client_cert[:80]!r}",
            field="client_cert",
        )
    if payload.client_cert is not None and not payload.tls:
        raise InvalidInput('client_cert needs "tls": true', field="client_cert")
    hosts = payload.hosts or []
    if len(hosts) > MAX_HOSTS:
        raise InvalidInput(
            f"hosts: at most {MAX_HOSTS} names per mock, got {len(hosts)}", field="hosts"
        )
    for host in hosts:
        if not valid_host_name(host):
            raise InvalidInput(
                f"hosts: {host[:100]!r} is not a host name (letters, digits, '-' and '.', "
                "at most 253 characters, '*.' allowed in front) nor an IP address",
                field="hosts",
            )


class ClientCertificateIn(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /tls/client-certificate``: whom the certificate is for."""

    name: str
    """Its subject's common name (``CN=<name>``), 1 to 64 characters."""


def check_client_certificate(payload: ClientCertificateIn) -> None:
    name = payload.name
    if not 0 < len(name.encode("utf-8", "surrogatepass")) <= 64 or not name.isprintable():
        raise InvalidInput(
            "name must be 1 to 64 printable characters (64 bytes in UTF-8, a common "
            f"name's limit), got {name[:80]!r}",
            field="name",
        )


MAX_SMTP_SIZE_LIMIT = 1024 * 1024 * 1024
"""The largest ``size_limit`` an SMTP mock may advertise: 1 GiB, past anything a test
sends (a message is held whole in memory while it is received)."""


def check_options(payload: CreateMock) -> None:
    """Refuse creation options that are well-typed but unusable, naming the field."""
    if isinstance(payload, CreateHttpMock):
        _check_http_options(payload)
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

    status: int | str = 200
    """The status code; with ``template``, may be a template (``"{{ ... }}"``)."""
    headers: dict[str, ScalarValue | list[ScalarValue]] | None = None
    """A list of values sends the header once per value (``Set-Cookie``)."""
    body: str = ""
    """The reply body, base64-encoded."""
    after: float = 0.0
    """Seconds to wait before answering, at most 3600; a client that leaves cancels it."""
    template: bool = False
    """Status, header values and body (UTF-8 text) are Jinja2 templates rendered from each
    request (sandboxed); off, a body with ``{{`` is sent as written."""
    body_file: str | None = None
    """Serve this file's content as the body: a path relative to the server's
    ``--files-root``, read per request (templated too with ``template``)."""
    fault: str | None = None
    """Instead of answering: ``reset`` (a TCP reset), ``empty`` (close, nothing sent),
    ``garbage`` (random bytes, then close) or ``malformed_chunk`` (a status line and
    chunked headers, then a bad chunk size, then close)."""
    pacing: PacingSpec | None = None
    """The body sent slowly: ``{"chunks": N, "over": seconds}`` or
    ``{"bytes_per_second": B}``."""
    delay: DelaySpec | None = None
    """A delay drawn for each request: ``{"fixed": s}``, ``{"uniform": [low, high]}`` or
    ``{"lognormal": {"median": s, "sigma": x}}``, optionally with ``"seed": n``; not with
    ``after``."""
    weight: float | None = None
    """Only in ``replies`` with ``"pick": "random"``: how likely this reply is against
    the others' weights (default 1)."""

    proxy: ProxySpec | None = None
    """Forward the request to this upstream and answer what it answers (no reply of its
    own beside it: ``after`` only)."""


class StateIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``PUT /state/<id>``: put one state machine instance in a state."""

    machine: str
    key: str | None = None
    """None: the machine's one unkeyed instance."""
    state: str


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request the server sends once a preset's reply is sent."""

    url: str
    """``http://`` or ``https://``; with ``template``, scheme and host written out."""
    method: str = "POST"
    headers: dict[str, ScalarValue] | None = None
    body: str = ""
    """The body, as text (sent as UTF-8)."""
    template: bool = False
    """Render ``url``, header values and ``body`` with the request's data."""
    after: float = 0.0
    """Seconds to wait after the reply, at most 3600."""
    timeout: float = 10.0
    """Seconds the call may take, above 0 and at most 60."""


class PresetIn(ReplyIn, forbid_unknown_fields=True, kw_only=True):
    """``POST /preset/<id>``: a canned reply. ``rule`` may also be the bare rule string."""

    rule: str | RuleIn | None = ""
    times: int | str = 1
    """A positive count, or ``"FOREVER"``."""
    priority: int | None = None
    """Tried before presets of a larger number (1 first); presets without one come after
    every preset with one. Ties: first added, first tried."""
    replies: list[ReplyIn] | None = None
    """Several replies instead of one (the preset's own reply fields are then left out),
    picked as ``pick`` says; ``times`` counts uses of the preset as a whole."""
    pick: str | None = None
    """With ``replies``: ``sequence`` (the default: in order, then the last one again),
    ``cycle`` (in order, then over again) or ``random`` (by each reply's weight)."""
    seed: int | None = None
    """With ``"pick": "random"``: seeds the draws, so that they repeat (per process)."""
    state: StateSpec | None = None
    """A state machine of the mock this preset requires a state of, and moves on."""
    webhooks: list[WebhookIn] | None = None
    """Requests the server sends after each reply of this preset (at most 10)."""


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
    if payload.proxy is not None:
        _check_proxy_alone(payload)
    return ReplySpec(
        status=payload.status,
        headers=reply_header_pairs(payload.headers),
        body=decode_base64(payload.body, "body"),
        after=payload.after,
        template=payload.template,
        body_file=payload.body_file,
        fault=payload.fault,  # type: ignore[arg-type]  # checked by Reply: names the choices
        pacing=payload.pacing,
        delay=payload.delay,
        proxy=payload.proxy,
    )


_PROXY_BESIDE = ("after", "proxy", "weight")
"""Reply fields a proxy reply may have: the upstream gives the rest."""


def _check_proxy_alone(payload: ReplyIn) -> None:
    """Refuse a proxy reply that also gives a reply of its own (status, body, ...)."""
    for field in msgspec.structs.fields(ReplyIn):
        if field.name in _PROXY_BESIDE or field.default is msgspec.NODEFAULT:
            continue
        if getattr(payload, field.name) != field.default:
            raise InvalidInput(
                f"{field.name}: a proxy preset answers with the upstream's reply; leave "
                f"out {field.name} (or drop proxy to answer a reply of your own)",
                field=field.name,
            )


def reply_of(payload: ReplyIn, options: ReplyOptions = DEFAULT_OPTIONS) -> Reply:
    """The reply of a preset, its headers as given (the default type is added when sent);
    ``options``: the server's files root and limits, for a reply made per request."""
    return Reply.from_spec(reply_spec_of(payload), options)


_REPLY_DEFAULTS = {
    field.name: field.default
    for field in msgspec.structs.fields(ReplyIn)
    if field.default is not msgspec.NODEFAULT
}


def extra_spec_of(payload: PresetIn) -> ExtraSpec | None:
    """A preset's replies and state as data (None when it has neither): its own reply
    fields beside ``replies``, or ``pick``/``seed``/``weight`` without them, refused."""
    if payload.weight is not None:
        raise InvalidInput(
            "weight belongs to a reply of replies (with pick random), not to the preset",
            field="weight",
        )
    if payload.replies is None:
        for option in ("pick", "seed"):
            if getattr(payload, option) is not None:
                raise InvalidInput(f"{option} needs a list of replies (replies)", field=option)
        return None if payload.state is None else ExtraSpec(state=payload.state)
    if not payload.replies:
        raise InvalidInput("replies must list at least one reply", field="replies")
    beside = [
        name
        for name, default in _REPLY_DEFAULTS.items()
        if name != "weight" and getattr(payload, name) != default
    ]
    if beside:
        raise InvalidInput(
            f"replies replaces the preset's own reply: give {', '.join(beside)} in each "
            "reply of replies instead",
            field=beside[0],
        )
    pick = payload.pick or "sequence"
    specs = []
    weights = []
    for number, reply in enumerate(payload.replies):
        if reply.weight is not None and pick != "random":
            raise InvalidInput(
                f'replies[{number}].weight only applies to "pick": "random"',
                field=f"replies[{number}].weight",
            )
        try:
            spec = reply_spec_of(reply)
            Reply.from_spec(spec)  # checked here, so that the error names the reply
            specs.append(spec)
        except InvalidInput as error:
            raise InvalidInput(
                f"replies[{number}].{error.message}", field=f"replies[{number}].{error.field}"
            ) from None
        weights.append(1.0 if reply.weight is None else reply.weight)
    return ExtraSpec(
        replies=tuple(specs),
        pick=pick,
        weights=tuple(weights) if any(w != 1.0 for w in weights) else (),
        seed=payload.seed,
        state=payload.state,
    )


def webhook_spec_of(payload: WebhookIn) -> WebhookSpec:
    return WebhookSpec(
        url=payload.url,
        method=payload.method,
        headers=tuple(texts(payload.headers).items()),
        body=payload.body,
        template=payload.template,
        after=payload.after,
        timeout=payload.timeout,
    )


def preset_reply_of(payload: PresetIn, options: ReplyOptions = DEFAULT_OPTIONS) -> Reply:
    """The reply of a preset, with the webhooks it sends (checked: a bad one is named);
    ``options``: the server's files root and limits, for a reply made per request."""
    spec = reply_spec_of(payload)
    if payload.webhooks:
        webhooks = tuple(webhook_spec_of(webhook) for webhook in payload.webhooks)
        spec = msgspec.structs.replace(spec, webhooks=webhooks)
    return Reply.from_spec(spec, options)


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


def reply_header_pairs(
    headers: dict[str, ScalarValue | list[ScalarValue]] | None,
) -> tuple[tuple[str, str], ...]:
    """Reply headers as pairs, as text; a list of values gives the header once per value."""
    pairs: list[tuple[str, str]] = []
    for name, value in (headers or {}).items():
        for one in value if isinstance(value, list) else (value,):
            pairs.append((name, one if isinstance(one, str) else str(one)))
    return tuple(pairs)


def texts(values: dict[str, ScalarValue] | None) -> dict[str, str]:
    """Header or form values as text (the 1.4 client let callers pass numbers)."""
    return {
        name: value if isinstance(value, str) else str(value)
        for name, value in (values or {}).items()
    }
