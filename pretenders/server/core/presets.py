"""Presets: canned replies, each with a match rule and a number of uses."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import msgspec
from multidict import CIMultiDict

from pretenders.common.constants import FOREVER, Forever
from pretenders.server.core.errors import InvalidInput, PresetBytesSpent, TooManyPresets
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.patterns import Pattern
from pretenders.server.core.preset_index import PresetIndex
from pretenders.server.core.proxy_spec import ProxySpec, check_proxy
from pretenders.server.core.records import Headers
from pretenders.server.core.reply_spec import ReplySpec

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
    proxy: ProxySpec | None = None
    """Forward the request to an upstream and answer what it answers (``proxying.py``)."""
    sent_headers: Headers = field(init=False, repr=False, compare=False)
    response_headers: CIMultiDict[str] = field(init=False, repr=False, compare=False)
    """``sent_headers`` as the multidict a response copies: copying one is cheaper than
    building it from pairs on every request."""

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 999:
            raise InvalidInput(
                f"status must be between 100 and 999, got {self.status}", field="status"
            )
        check_after(self.after)
        for name, value in self.headers:
            check_reply_header(name, value)
        if self.proxy is not None:
            check_proxy(self.proxy)
            for name, value in (self.proxy.add_headers or {}).items():
                check_reply_header(name, value)
        sent = self.headers
        if self.status not in _NO_DEFAULT_TYPE and not any(
            name.lower() == "content-type" for name, _ in sent
        ):
            sent = (*sent, ("Content-Type", DEFAULT_CONTENT_TYPE))
        object.__setattr__(self, "sent_headers", sent + SANDBOX)  # frozen: set once, here
        object.__setattr__(self, "response_headers", CIMultiDict(self.sent_headers))

    @classmethod
    def from_spec(cls, spec: ReplySpec) -> Reply:
        """The reply a :class:`ReplySpec` describes, checked (InvalidInput names the field)."""
        return cls(
            status=spec.status,
            headers=spec.headers,
            body=spec.body,
            after=spec.after,
            proxy=spec.proxy,
        )

    @property
    def spec(self) -> ReplySpec:
        """This reply as data, as the wire and the stores carry it."""
        return ReplySpec(
            status=self.status,
            headers=tuple((str(name), value) for name, value in self.headers),
            body=self.body,
            after=self.after,
            proxy=self.proxy,
        )


MAX_AFTER = 3600.0
"""The longest delay a reply may ask for (``after``), in seconds: an hour outlasts any
test's timeout, and a longer one can only be a mistake that holds a connection open."""


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


def preset_bytes(rule: MatchRule, reply: Reply) -> int:
    """How many bytes a preset counts for against the server's --preset-bytes."""
    size = PRESET_OVERHEAD + len(reply.body) + len(rule.rule) + len(rule.body or "")
    for name, value in reply.headers:
        size += len(name) + len(value)
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
        self, rule: MatchRule, reply: Reply, times: object, priority: int | None = None
    ) -> Preset:
        size = preset_bytes(rule, reply)
        preset = Preset(self._next_id, rule, reply, times, size, priority)
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

    def take(self, subject: MatchSubject) -> Preset | None:
        """The first preset matching the request, with one use counted; None if none."""
        for preset in self._index.candidates(subject.rule_line):
            if preset.rule.matches(subject):
                preset.use()
                if preset.used_up:
                    self._discard(preset)
                return preset
        return None

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
