"""Presets: canned replies, each with a match rule and a number of uses."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec
from multidict import CIMultiDict

from pretenders.common.constants import FOREVER, Forever
from pretenders.server.core.delays import Delay, DelaySpec
from pretenders.server.core.errors import InvalidInput, PresetBytesSpent, TooManyPresets
from pretenders.server.core.http_head import HeaderLines
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.pacing import PacingSpec, check_pacing
from pretenders.server.core.patterns import Pattern
from pretenders.server.core.preset_index import PresetIndex
from pretenders.server.core.proxy_spec import ProxySpec, check_proxy
from pretenders.server.core.records import Headers, RequestRecord
from pretenders.server.core.reply_render import DEFAULT_OPTIONS, ReplyMaker, ReplyOptions
from pretenders.server.core.reply_spec import FAULTS, Fault, ReplySpec
from pretenders.server.core.webhooks import Webhook, webhooks_of

if TYPE_CHECKING:
    from pretenders.server.core.preset_extra import PresetExtra

Times = int | Forever
"""How many more requests a preset will serve: a positive count, or FOREVER."""

HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An HTTP header name (RFC 9110 token)."""
_NOT_IN_VALUES = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""What HTTP forbids in a header value: control characters, tab aside."""
_BYTE_COUNT = re.compile(r"\s*[0-9]+\s*")

SANDBOX: Headers = (
    (
        "Content-Security-Policy",
        "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads",
    ),
)
"""Sent with every reply, besides its own headers: a page a mock serves runs its scripts,
but in an opaque origin, never as the server's own. It cannot read or change the admin
API (its requests carry ``Origin: null``, which the server refuses), nor the cookies or
storage of the server's origin. A policy of the preset's own is sent too; both apply."""
DEFAULT_CONTENT_TYPE = "text/html; charset=UTF-8"
"""The Content-Type of a reply whose preset names none, as 1.4 (bottle) sent it."""
_NO_DEFAULT_TYPE = frozenset({204, 304})
"""Statuses 1.4 sent without a default Content-Type (they have no body to describe)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What a preset answers.

    ``headers`` are kept exactly as given, and listed so; ``sent_headers`` are those the
    reply carries: 1.4's default Content-Type added when none was given, and the
    :data:`SANDBOX` policy (computed once here, so serving costs nothing more).
    """

    status: int = 200
    headers: Headers = ()
    body: bytes = b""
    after: float = 0.0
    """Seconds to wait before answering."""
    template: bool = False
    """Status (``status_text``), header values and body are templates (see templating)."""
    body_file: str | None = None
    """The body is read from this file under ``--files-root`` for each request."""
    status_text: str | None = None
    """A templated status, as given (``status`` is then a placeholder)."""
    options: ReplyOptions = field(default=DEFAULT_OPTIONS, repr=False, compare=False)
    """What a reply made per request needs of the server (files root, limits)."""
    maker: ReplyMaker | None = field(init=False, repr=False, compare=False)
    """How the reply is made per request; None for a reply sent as it is (most: the mock
    path then pays one attribute check)."""
    adds_content_type: bool = field(init=False, repr=False, compare=False)
    """No Content-Type of its own: 1.4's default is sent (for a status with a body)."""
    fault: Fault | None = None
    """A network fault instead of the reply."""
    pacing: PacingSpec | None = None
    """The body sent in pieces over time."""
    delay: DelaySpec | None = None
    """A delay drawn for each request (instead of ``after``)."""
    shaped: bool = field(init=False, repr=False, compare=False)
    """A fault, pacing or drawn delay: served apart from plain replies (one check)."""
    drawn_delay: Delay | None = field(init=False, repr=False, compare=False)
    webhooks: tuple[Webhook, ...] = ()
    """Requests the server sends once this reply is sent (checked: see core/webhooks.py)."""
    proxy: ProxySpec | None = None
    """Forward the request to an upstream and answer what it answers (``proxying.py``)."""
    sent_headers: Headers = field(init=False, repr=False, compare=False)
    response_headers: CIMultiDict[str] = field(init=False, repr=False, compare=False)
    """``sent_headers`` as the multidict a response copies: copying one is cheaper than
    building it from pairs on every request."""
    wire_head: bytes = field(init=False, repr=False, compare=False)
    """The status line and ``sent_headers`` with the body's length, as the lean mock path
    writes them (``core/http_head.py``): made once, here, not per request."""
    wire_headers: HeaderLines = field(init=False, repr=False, compare=False)
    """``sent_headers`` as lines, for replies made per request with these headers."""

    def __post_init__(self) -> None:
        check_status(self.status)
        check_after(self.after)
        if self.status_text is not None and not self.template:
            raise InvalidInput(
                f"status must be a number unless template is true, got {self.status_text!r}",
                field="status",
            )
        for name, value in self.headers:
            check_reply_header(name, value)
        maker = None
        if self.template or self.body_file is not None:
            maker = ReplyMaker(self, self.options)
        object.__setattr__(self, "maker", maker)
        if self.proxy is not None:
            check_proxy(self.proxy)
            for name, value in (self.proxy.add_headers or {}).items():
                check_reply_header(name, value)
        sent = self.headers
        adds_type = not any(name.lower() == "content-type" for name, _ in sent)
        object.__setattr__(self, "adds_content_type", adds_type)
        if self.status not in _NO_DEFAULT_TYPE and adds_type:
            sent = (*sent, ("Content-Type", DEFAULT_CONTENT_TYPE))
        object.__setattr__(self, "sent_headers", sent + SANDBOX)  # frozen: set once, here
        object.__setattr__(self, "response_headers", CIMultiDict(self.sent_headers))
        wire_headers = HeaderLines(self.sent_headers)
        object.__setattr__(self, "wire_headers", wire_headers)
        object.__setattr__(self, "wire_head", wire_headers.head(self.status, len(self.body)))
        object.__setattr__(self, "drawn_delay", self._check_shaping())
        shaped = self.fault is not None or self.pacing is not None or self.delay is not None
        object.__setattr__(self, "shaped", shaped)

    def _check_shaping(self) -> Delay | None:
        """Refuse a fault, pacing or delay that cannot be served; the delay, compiled."""
        if self.fault is not None and self.fault not in FAULTS:
            raise InvalidInput(
                f"fault must be one of {', '.join(FAULTS)}, got {self.fault!r}", field="fault"
            )
        if self.pacing is not None:
            if self.fault is not None:
                raise InvalidInput(
                    f"pacing: a reply with a fault ({self.fault}) sends no body to pace; "
                    "leave one of them out",
                    field="pacing",
                )
            check_pacing(self.pacing, len(self.body))
        if self.delay is None:
            return None
        if self.after:
            raise InvalidInput(
                'delay: give "after" (a fixed delay) or "delay", not both', field="delay"
            )
        return Delay(self.delay)

    def stamp(self, record: RequestRecord) -> None:
        """Note on the record of a request this reply serves what it does: the fault,
        the delay drawn (its status stays None when no status line is sent)."""
        if self.fault is not None:
            record.fault = self.fault
            if self.fault != "malformed_chunk":
                record.status = None
        if self.drawn_delay is not None:
            record.delay = self.drawn_delay.draw()

    @classmethod
    def from_spec(cls, spec: ReplySpec, options: ReplyOptions = DEFAULT_OPTIONS) -> Reply:
        """The reply a :class:`ReplySpec` describes, checked (InvalidInput names the field).
        ``options``: the server's files root and limits, for a reply made per request."""
        return cls(
            status=200 if isinstance(spec.status, str) else spec.status,
            headers=spec.headers,
            body=spec.body,
            after=spec.after,
            template=spec.template,
            body_file=spec.body_file,
            status_text=spec.status if isinstance(spec.status, str) else None,
            options=options,
            fault=spec.fault,
            pacing=spec.pacing,
            delay=spec.delay,
            webhooks=webhooks_of(spec.webhooks) if spec.webhooks else (),
            proxy=spec.proxy,
        )

    @property
    def spec(self) -> ReplySpec:
        """This reply as data, as the wire and the stores carry it."""
        return ReplySpec(
            status=self.status if self.status_text is None else self.status_text,
            headers=tuple((str(name), value) for name, value in self.headers),
            body=self.body,
            after=self.after,
            template=self.template,
            body_file=self.body_file,
            fault=self.fault,
            pacing=self.pacing,
            delay=self.delay,
            webhooks=tuple(webhook.spec for webhook in self.webhooks),
            proxy=self.proxy,
        )


MAX_AFTER = 3600.0
"""The longest delay a reply may ask for (``after``), in seconds: an hour outlasts any
test's timeout, and a longer one can only be a mistake that holds a connection open."""


def check_status(status: int) -> int:
    """``status``, or InvalidInput when it is not from 100 to 999."""
    if not 100 <= status <= 999:
        raise InvalidInput(f"status must be between 100 and 999, got {status}", field="status")
    return status


def check_after(after: float) -> None:
    """Refuse a reply delay that is negative, not a number, or over :data:`MAX_AFTER`."""
    if not math.isfinite(after) or not 0 <= after <= MAX_AFTER:
        raise InvalidInput(
            f"after must be a number of seconds from 0 to {MAX_AFTER:g}, got {after:g}",
            field="after",
        )


def check_reply_header(name: str, value: str) -> None:
    """Refuse a header that could not be sent as given, or would garble the framing.

    Checked when the preset is added: at serving time, aiohttp would drop the connection
    (a control character in a value) or send an illegal line (a name that is no token).
    A Content-Length other than the body's is allowed (a HEAD reply needs one).
    """
    if not HEADER_NAME.fullmatch(name):
        raise InvalidInput(f"header name {name!r} is not an HTTP token", field="headers")
    if _NOT_IN_VALUES.search(value):
        raise InvalidInput(
            f"header {name}: a value may not contain control characters, got {value!r}",
            field="headers",
        )
    lower = name.lower()
    if lower == "transfer-encoding":
        raise InvalidInput(
            "header Transfer-Encoding: the server frames the body itself; leave it out",
            field="headers",
        )
    if lower == "content-length" and not _BYTE_COUNT.fullmatch(value):
        raise InvalidInput(
            f"header Content-Length: must be a number of bytes, got {value!r}", field="headers"
        )


UNPRIORITISED = 2**31
"""Where presets without a priority stand: after every one with one."""
MIN_PRIORITY, MAX_PRIORITY = 1, 2**31 - 1


def check_priority(priority: int | None) -> int | None:
    """None, or a priority from 1 (tried first) up."""
    if priority is None or MIN_PRIORITY <= priority <= MAX_PRIORITY:
        return priority
    raise InvalidInput(
        f"priority must be a whole number from {MIN_PRIORITY} (tried first) to "
        f"{MAX_PRIORITY}, got {priority}",
        field="priority",
    )


def check_times(times: object) -> Times:
    """Return ``times`` if it is a positive int or FOREVER, else fail naming the field."""
    if times == FOREVER:
        return FOREVER
    if isinstance(times, int) and not isinstance(times, bool) and times > 0:
        return times
    raise InvalidInput(
        f'times must be a positive integer or "FOREVER", got {times!r}', field="times"
    )


class Preset:
    """A match rule, the reply it serves, and the uses it has left."""

    __slots__ = (
        "extra",
        "id",
        "order",
        "prefix",
        "priority",
        "reply",
        "rule",
        "served",
        "size",
        "times_left",
    )

    def __init__(
        self,
        preset_id: int,
        rule: MatchRule,
        reply: Reply,
        times: object,
        size: int = 0,
        priority: int | None = None,
        extra: PresetExtra | None = None,
    ) -> None:
        self.id = preset_id
        self.priority = check_priority(priority)
        self.order = (UNPRIORITISED if priority is None else priority, preset_id)
        """Presets are tried in this order: priority (1 first; none: after all that have
        one), then the order they were added."""
        self.size = size
        """Bytes it counts for against the server's --preset-bytes."""
        self.rule = rule
        self.prefix = rule.prefix
        """Text every request line this preset matches starts with (see preset_index)."""
        self.reply = reply
        self.times_left: Times = check_times(times)
        self.served = 0
        """Requests this preset has answered so far."""
        self.extra = extra
        """Several replies, a state machine: None for a plain preset (1.4's)."""

    @property
    def used_up(self) -> bool:
        return self.times_left == 0

    @property
    def unused(self) -> bool:
        """Still owed requests: uses left to count down, or FOREVER and never served."""
        return self.times_left != FOREVER or self.served == 0

    def use(self) -> None:
        """Count one use; FOREVER presets are never used up."""
        self.served += 1
        if self.times_left != FOREVER:
            self.times_left -= 1


class PresetLimits:
    """The caps on presets: how many one mock may hold, how many bytes all mocks together.

    Shared by every mock of a server (HTTP presets and SMTP scripts alike); each preset's
    bytes are given back when it is used up, removed or its mock deleted.
    """

    __slots__ = ("max_bytes", "max_presets", "used")

    def __init__(self, max_presets: int | None = None, max_bytes: int | None = None) -> None:
        self.max_presets = max_presets
        """The most presets (or scripted replies) one mock holds; None: no limit."""
        self.max_bytes = max_bytes
        """The most preset bytes (reply bodies, rules, headers) of the whole server."""
        self.used = 0

    def admit(self, held: int, size: int) -> None:
        """Take ``size`` bytes for one more preset of a mock holding ``held``, or refuse it."""
        if self.max_presets is not None and held >= self.max_presets:
            raise TooManyPresets(
                f"this mock already has {held} presets, the most one mock may hold: remove "
                "some (DELETE /preset/<id>) or start the server with a higher --max-presets"
            )
        if self.max_bytes is not None and self.used + size > self.max_bytes:
            raise PresetBytesSpent(
                f"this preset counts {size} bytes and the presets of this server already "
                f"hold {self.used} of the {self.max_bytes} bytes they may: remove some "
                "(DELETE /preset/<id>, or delete mocks) or start the server with a higher "
                "--preset-bytes"
            )
        self.used += size


PRESET_OVERHEAD = 100
"""Bytes a preset counts for beyond its body, rule and headers (a rough figure)."""


def preset_bytes(rule: MatchRule, reply: Reply, extra: PresetExtra | None = None) -> int:
    """How many bytes a preset counts for against the server's --preset-bytes."""
    size = PRESET_OVERHEAD + len(reply.body) + len(rule.rule) + len(rule.body or "")
    if extra is not None:  # its replies and state, as stored
        size += len(msgspec.msgpack.encode(extra.spec))
    for name, value in reply.headers:
        size += len(name) + len(value)
    for webhook in reply.webhooks:
        size += webhook.size
    for name, text in (*rule.headers.items(), *(rule.data or {}).items()):
        size += len(name) + len(text)
    if reply.proxy is not None:
        size += len(msgspec.msgpack.encode(reply.proxy))
    if not rule.spec.is_1_4:  # the fields past 1.4's, as stored
        size += len(msgspec.msgpack.encode(rule.spec))
    return size


class PresetQueue:
    """A mock's presets, tried in the order they were added.

    ``take`` serves the first preset that matches and counts one use against it;
    a preset is removed once its uses are spent.
    """

    __slots__ = ("_index", "_limits", "_next_id", "_presets")

    def __init__(self, limits: PresetLimits | None = None) -> None:
        self._presets: dict[int, Preset] = {}
        self._index: PresetIndex[Preset] = PresetIndex()
        self._next_id = 0
        self._limits = limits or PresetLimits()

    def add(
        self,
        rule: MatchRule,
        reply: Reply,
        times: object,
        priority: int | None = None,
        extra: PresetExtra | None = None,
    ) -> Preset:
        size = preset_bytes(rule, reply, extra)
        preset = Preset(self._next_id, rule, reply, times, size, priority, extra)
        self._limits.admit(len(self._presets), size)
        self._next_id += 1
        self._presets[preset.id] = preset
        self._index.add(preset)
        return preset

    def put(self, preset: Preset) -> None:
        """Hold a preset built elsewhere, with its own id (a shared store's copy; no limits)."""
        self._presets[preset.id] = preset
        self._index.add(preset)
        self._next_id = max(self._next_id, preset.id + 1)

    def first(self, subject: MatchSubject) -> Preset | None:
        """The first preset matching the request, nothing counted; None if none."""
        for preset in self._index.candidates(subject.rule_line):
            if preset.rule.matches(subject):
                return preset
        return None

    def take(
        self, subject: MatchSubject, states: MutableMapping[str, str] | None = None
    ) -> Preset | None:
        """The first preset matching the request, with one use counted; None if none.

        A preset with a state machine matches only when its required state holds in
        ``states`` (the mock's), which it then moves on."""
        for preset in self._index.candidates(subject.rule_line):
            if preset.rule.matches(subject):
                extra = preset.extra
                if extra is not None and extra.state is not None:
                    rule = extra.state
                    instance, _ = rule.instance(subject)
                    if states is None or instance is None or not rule.admits(instance, states):
                        continue
                    rule.move(instance, states)
                preset.use()
                if preset.used_up:
                    self._discard(preset)
                return preset
        return None

    def matching(self, subject: MatchSubject) -> list[Preset]:
        """The presets whose rule matches the request, in the order they are tried, up
        to the first without a state machine (which the request gets, if it gets that
        far); nothing counted. A shared store checks their states itself."""
        found = []
        for preset in self._index.candidates(subject.rule_line):
            if preset.rule.matches(subject):
                found.append(preset)
                extra = preset.extra
                if extra is None or extra.state is None:
                    break
        return found

    def get(self, preset_id: int) -> Preset | None:
        """The preset with that id, or None (never added, used up, or removed)."""
        return self._presets.get(preset_id)

    def newly_gave_up(self, subject: MatchSubject) -> list[tuple[Preset, Pattern]]:
        """The presets whose regex gave up on this request and was not reported before,
        each with that regex, now marked as reported (so each is logged once)."""
        gave_up = subject.gave_up
        if gave_up is None or all(pattern.reported for pattern in gave_up):
            return []
        found = []
        for preset in self._presets.values():
            for pattern in preset.rule.patterns:
                if pattern in gave_up and not pattern.reported:
                    pattern.reported = True
                    found.append((preset, pattern))
        return found

    def remove(self, preset_id: int) -> bool:
        """Remove one preset; False when it is not there (never added, or used up)."""
        preset = self._presets.get(preset_id)
        if preset is None:
            return False
        self._discard(preset)
        return True

    def _discard(self, preset: Preset) -> None:
        del self._presets[preset.id]
        self._index.remove(preset)
        self._limits.used -= preset.size

    def clear(self) -> None:
        self._limits.used -= sum(p.size for p in self._presets.values())
        self._presets.clear()
        self._index.clear()

    def __iter__(self) -> Iterator[Preset]:
        """The presets in the order they are tried."""
        return iter(sorted(self._presets.values(), key=_in_order))

    def __len__(self) -> int:
        return len(self._presets)


def _in_order(preset: Preset) -> tuple[int, int]:
    return preset.order


def reply_headers(headers: Mapping[str, str] | None) -> Headers:
    """Normalise a name -> value mapping into header pairs."""
    return tuple((name, value) for name, value in (headers or {}).items())
