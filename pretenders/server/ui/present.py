"""What the pages show of mocks, presets and requests: plain values, ready to print.

The same row objects fill the server-rendered tables and the live events, so a row
added by the page's script reads exactly like one rendered on reload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import msgspec

from pretenders.common.constants import FOREVER
from pretenders.server.core.history import HistoryStats
from pretenders.server.core.presets import Preset, Reply
from pretenders.server.core.proxy_spec import ProxySpec
from pretenders.server.core.records import NearMiss, RequestRecord
from pretenders.server.core.registry import Mock, Protocol, Timeout
from pretenders.server.core.reply_spec import WebhookSpec
from pretenders.server.core.rule_spec import RuleSpec, ValueSpec
from pretenders.server.core.smtp_script import SmtpPreset


def clean(text: str) -> str:
    """Text fit to show: undecodable bytes (kept as surrogates by parsers) become U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def ui_path(protocol: Protocol, mock_id: str, *rest: str | int) -> str:
    """``/ui/<protocol>/<id>/...`` with every segment percent-encoded (ids are user input)."""
    segments = [protocol, mock_id, *(str(part) for part in rest)]
    return "/ui/" + "/".join(quote(segment, safe="") for segment in segments)


def clock(seconds: float) -> str:
    """``14:03:27`` for today, ``Nov 24 14:03:27`` before."""
    moment = datetime.fromtimestamp(seconds)
    if moment.date() == datetime.now().date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%b %d %H:%M:%S")


def precise(seconds: float) -> str:
    """``2025-11-24 14:03:27.123``: shown on hover."""
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def duration(seconds: float) -> str:
    """``250 ms``, ``1.5 s``, ``2 min``, ``1 h 30 min``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:g} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def timeout_text(timeout: Timeout) -> str:
    return "never" if timeout is None else f"idle {duration(timeout)}"


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


def status_class(status: int | None) -> str:
    """``s2`` for 2xx ... ``s5`` for 5xx (and above); ``s0`` when nothing was served yet."""
    if status is None:
        return "s0"
    return f"s{min(max(status // 100, 1), 5)}"


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    lower = name.lower()
    for key, value in headers:
        if key.lower() == lower:
            return value
    return None


@dataclass(frozen=True)
class MockRow:
    """One line of the mocks page."""

    id: str
    protocol: str
    href: str
    address: str
    created: str
    created_title: str
    last_call: str
    last_call_title: str
    timeout: str
    presets: int
    records: int


def dropped_note(stats: HistoryStats, noun: str) -> str:
    """Why the oldest records are missing, or "" when none were dropped."""
    if not stats.dropped:
        return ""
    older = f"{stats.dropped} older {noun}{'' if stats.dropped == 1 else 's'}"
    verb = "was" if stats.dropped == 1 else "were"
    return (
        f"{older} {verb} dropped by --history-limit: this server keeps the newest "
        f"{stats.limit} of each mock ({stats.total} received since the last reset)."
    )


def mock_row(mock: Mock, address: str, presets: int, records: int) -> MockRow:
    """``presets``: how many presets (HTTP) or scripted replies (SMTP) it holds;
    ``records``: how many records its history keeps."""
    return MockRow(
        id=clean(mock.id),
        protocol=mock.protocol,
        href=ui_path(mock.protocol, mock.id),
        address=address,
        created=clock(mock.start),
        created_title=precise(mock.start),
        last_call=clock(mock.last_call),
        last_call_title=precise(mock.last_call),
        timeout=timeout_text(mock.timeout),
        presets=presets,
        records=records,
    )


@dataclass(frozen=True)
class DifferenceView:
    field: str
    expected: str
    actual: str


@dataclass(frozen=True)
class NearMissView:
    """A preset that came close to serving a request, and what it wanted instead."""

    preset_id: int
    rule: str
    times_left: str
    hint: str
    """Which half of ``METHOD /path`` made the rule miss, when only one did."""
    differences: tuple[DifferenceView, ...]


_RULE_HINTS = {
    "method": "the path matches, the method does not",
    "path": "the method matches, the path does not",
}


def near_misses(record: RequestRecord) -> list[NearMissView]:
    """The presets that came closest to an unmatched request, closest first."""
    return [
        NearMissView(
            preset_id=miss.preset_id,
            rule=clean(miss.rule.rule or ""),
            times_left="∞" if miss.times_left == FOREVER else str(miss.times_left),
            hint=_RULE_HINTS.get(miss.rule_miss or "", ""),
            differences=tuple(
                DifferenceView(clean(d.field), clean(d.expected), clean(d.actual))
                for d in miss.differences
            ),
        )
        for miss in record.near_misses
    ]


def _missed_on(miss: NearMiss) -> str:
    """What made the closest preset miss, in a word or two: ``method``, ``header X-Key``."""
    parts: list[str] = []
    for difference in miss.differences:
        if difference.field == "rule" and miss.rule_miss is not None:
            parts.append(miss.rule_miss)
        else:
            parts.append(difference.field)
    return ", ".join(parts)


@dataclass(frozen=True)
class RequestRow:
    """One line of an HTTP mock's history; also the payload of its live event."""

    index: int
    href: str
    time: str
    time_title: str
    method: str
    url: str
    status: str
    status_class: str
    served: str
    served_class: str


def served_text(record: RequestRecord) -> tuple[str, str]:
    """Which preset served the request, or why none did; and the CSS class to show it with.
    For a webhook call the server made: which preset sent it, and its error if any."""
    if record.webhook is not None:
        error = record.webhook.error
        text = f"webhook of preset {record.preset_id}"
        return (f"{text} · {clean(error)}", "missed") if error else (text, "served")
    if record.preset_id is not None:
        if record.proxied is not None:  # forwarded by a proxy preset
            return f"preset {record.preset_id} → {clean(record.proxied)}", "served"
        return f"preset {record.preset_id}{shaping_note(record)}", "served"
    if not record.near_misses:
        return "no preset matched", "missed"
    closest = record.near_misses[0]
    return f"no match · closest preset {closest.preset_id}: {_missed_on(closest)}", "missed"


def shaping_note(record: RequestRecord) -> str:
    """What a preset did besides answering: `` · fault reset``, `` · delayed 120 ms``."""
    note = ""
    if record.fault is not None:
        note += f" · fault {record.fault}"
    if record.delay is not None:
        note += f" · delayed {duration(record.delay)}"
    return note


def request_row(mock: Mock, index: int, record: RequestRecord) -> RequestRow:
    served, served_class = served_text(record)
    return RequestRow(
        index=index,
        href=ui_path("http", mock.id, "requests", index),
        time=clock(record.time),
        time_title=precise(record.time),
        method=clean(record.method),
        url=clean(record.url) or "/",
        status=(record.fault or "…") if record.status is None else str(record.status),
        status_class=status_class(record.status),
        served=served,
        served_class=served_class,
    )


@dataclass(frozen=True)
class PresetView:
    """One preset, as the HTTP mock page lists it."""

    id: int
    rule: str
    match_headers: tuple[tuple[str, str], ...]
    body_rule: str
    more_rules: tuple[tuple[str, str], ...]
    """Rule fields past 1.4's, and the priority: (name, value as JSON)."""
    status: int | str
    """The status code; a templated one as written."""
    status_class: str
    content_type: str
    reply_size: str
    reply_preview: str
    reply_extras: tuple[tuple[str, str], ...]
    """How the reply is made per request: ("template", ...), ("file", path)."""
    times: str
    served: int
    delay: str
    shaping: tuple[tuple[str, str], ...]
    """A fault or pacing instead of a plain reply: (name, what it does)."""
    delete_href: str
    replies: tuple[str, ...] = ()
    """For a preset of several replies: how they are picked, then one line per reply."""
    webhooks: tuple[str, ...] = ()
    """One line per webhook it sends: ``POST http://… after 1 s``."""

    proxy: str = ""
    """For a proxy preset: its upstream (and whether it records)."""


def reply_extras(reply: Reply) -> tuple[tuple[str, str], ...]:
    """What the preset list says of a reply made per request."""
    extras = []
    if reply.template:
        extras.append(("template", "rendered per request"))
    if reply.body_file is not None:
        extras.append(("file", reply.body_file))
    return tuple(extras)


def times_text(preset: Preset) -> str:
    """The uses a preset has left: a count, or ∞ for FOREVER."""
    return "∞" if preset.times_left == FOREVER else str(preset.times_left)


_SHOWN_APART = frozenset({"rule", "body", "data"})
"""Rule fields the presets table has columns or lines of their own for (1.4's)."""


def more_rules(spec: RuleSpec, priority: int | None = None) -> tuple[tuple[str, str], ...]:
    """The rule's fields past 1.4's (and header conditions), each as (name, JSON text),
    and the priority: what the presets table lists under a preset's rule."""
    shown: list[tuple[str, str]] = []
    for field in msgspec.structs.fields(spec):
        value = getattr(spec, field.name)
        if field.name in _SHOWN_APART or value in (field.default, None):
            continue
        if field.name == "headers":
            value = {k: v for k, v in value.items() if isinstance(v, ValueSpec)}
            if not value:
                continue
        text = json.dumps(msgspec.to_builtins(value), ensure_ascii=False, sort_keys=True)
        shown.append((field.encode_name, clean(_shortened(text, 300))))
    if priority is not None:
        shown.append(("priority", str(priority)))
    return tuple(shown)


def state_rule(preset: Preset) -> tuple[tuple[str, str], ...]:
    """A preset's state machine as the Match column lists it:
    ``order[path:id] created → paid``."""
    extra = preset.extra
    if extra is None or extra.spec.state is None:
        return ()
    state = extra.spec.state
    text = state.machine + (f"[{state.key}]" if state.key else "")
    text += f" {state.requires or 'any state'}"
    if state.to is not None:
        text += f" → {state.to}"
    return (("state", clean(text)),)


def replies_lines(preset: Preset) -> tuple[str, ...]:
    """A preset's several replies, for the Reply column: the pick, then each reply."""
    extra = preset.extra
    choice = extra.choice if extra is not None else None
    if choice is None:
        return ()
    lines = [f"{choice.pick} of {len(choice.replies)}"]
    weighted = choice.pick == "random"
    for number, (reply, weight) in enumerate(zip(choice.replies, choice.weights, strict=True)):
        if number == 10:
            lines.append(f"… {len(choice.replies) - 10} more")
            break
        preview = _shortened(reply.body[:40].decode("utf-8", "replace"), 30)
        share = f" weight {weight:g}" if weighted else ""
        lines.append(clean(f"{number + 1}. {reply.status}{share} {preview}".rstrip()))
    return tuple(lines)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def preset_view(mock: Mock, preset: Preset) -> PresetView:
    rule = preset.rule
    reply = preset.reply
    if rule.data is not None:
        body_rule = "form " + ", ".join(f"{k}={v}" for k, v in rule.data.items())
    else:
        body_rule = rule.body or ""
    preview = reply.body[:80].decode("utf-8", "replace")
    if len(reply.body) > 80:
        preview += "…"
    return PresetView(
        id=preset.id,
        rule=rule.rule,
        match_headers=tuple(rule.headers.items()),
        body_rule=body_rule,
        more_rules=more_rules(rule.spec, preset.priority) + state_rule(preset),
        status=reply.status if reply.status_text is None else reply.status_text,
        status_class=status_class(reply.status) if reply.status_text is None else "s0",
        content_type=header_value(reply.sent_headers, "Content-Type") or "",
        reply_size=size_text(len(reply.body)),
        reply_preview=preview,
        reply_extras=reply_extras(reply),
        times=times_text(preset),
        served=preset.served,
        delay=_delay_text(reply),
        shaping=_shaping(reply),
        delete_href=ui_path("http", mock.id, "presets", preset.id, "delete"),
        replies=replies_lines(preset),
        webhooks=tuple(_webhook_line(webhook.spec) for webhook in reply.webhooks),
        proxy=_proxy_text(reply.proxy),
    )


def _webhook_line(spec: WebhookSpec) -> str:
    after = f" after {duration(spec.after)}" if spec.after else ""
    templated = " (template)" if spec.template else ""
    return clean(_shortened(f"{spec.method} {spec.url}{after}{templated}", 300))


@dataclass(frozen=True)
class WebhookView:
    """How a webhook call the server made went, for its request page."""

    outcome: str
    outcome_class: str
    duration: str
    reply_preview: str


def webhook_view(record: RequestRecord) -> WebhookView | None:
    """None for a request the mock received."""
    call = record.webhook
    if call is None:
        return None
    if call.error:
        outcome, css = clean(call.error), "missed"
    else:
        outcome, css = f"answered {record.status}", "served"
    preview = call.reply[:200].decode("utf-8", "replace")
    return WebhookView(
        outcome=outcome,
        outcome_class=css,
        duration=duration(call.duration),
        reply_preview=clean(preview + ("…" if len(call.reply) > 200 else "")),
    )


def _delay_text(reply: Reply) -> str:
    if reply.delay is not None:
        return reply.delay.describe()
    return duration(reply.after) if reply.after else ""


def _shaping(reply: Reply) -> tuple[tuple[str, str], ...]:
    shown: list[tuple[str, str]] = []
    if reply.fault is not None:
        shown.append(("fault", reply.fault))
    if reply.pacing is not None:
        shown.append(("pacing", reply.pacing.describe()))
    return tuple(shown)


def _proxy_text(proxy: ProxySpec | None) -> str:
    if proxy is None:
        return ""
    verb = "records from" if proxy.record is not None else "forwards to"
    return f"{verb} {clean(proxy.to)}"


def recording_text(presets: Iterable[Preset]) -> str:
    """ "Recording from <upstream>" while the mock records, else empty."""
    for preset in presets:
        proxy = preset.reply.proxy
        if proxy is not None and proxy.record is not None:
            return f"Recording: every request goes to {clean(proxy.to)} and becomes a preset"
    return ""


@dataclass(frozen=True)
class ScriptView:
    """One scripted SMTP reply, as the SMTP mock page lists it."""

    id: int
    stage: str
    match: str
    reply: str
    status_class: str
    times: str
    delay: str


def script_view(preset: SmtpPreset) -> ScriptView:
    reply = preset.reply
    if reply.action == "disconnect":
        text, css = "hang up", "s5"
    elif reply.status is None:
        text, css = "normal reply", "s0"
    else:
        text, css = reply.line, status_class(reply.status)
    return ScriptView(
        id=preset.id,
        stage=preset.stage,
        match=preset.pattern or "",
        reply=text,
        status_class=css,
        times="∞" if preset.times_left == FOREVER else str(preset.times_left),
        delay=duration(reply.after) if reply.after else "",
    )
