"""Scripted SMTP replies: the SMTP side of presets.

A preset names a stage of the SMTP conversation (and optionally a regex matched with
``re.match`` against what the client sent at that stage) and what to do there instead of
the normal reply: answer with another code, hang up, or answer late. Presets are tried
in the order they were added and each is used ``times`` times, like HTTP presets. A regex
that gives up (see :mod:`pretenders.server.core.patterns`) is a miss for that preset.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pretenders.common.constants import FOREVER
from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.patterns import DEFAULT_TIMEOUT, GaveUp, Pattern
from pretenders.server.core.presets import (
    PRESET_OVERHEAD,
    PresetLimits,
    Times,
    check_after,
    check_times,
)

Stage = Literal["connect", "helo", "mail", "rcpt", "data"]
STAGES: tuple[Stage, ...] = ("connect", "helo", "mail", "rcpt", "data")
"""What the match regex is applied to at each stage: the peer address at ``connect``,
the HELO/EHLO name, the MAIL FROM address, one RCPT TO address, the message as text."""

Action = Literal["reply", "disconnect"]


@dataclass(frozen=True, slots=True)
class SmtpReply:
    """What to do at the stage: reply with ``status`` (None: the normal reply), or hang up."""

    action: Action = "reply"
    status: int | None = None
    message: str = ""
    after: float = 0.0

    def __post_init__(self) -> None:
        if self.status is not None and not 200 <= self.status <= 599:
            raise InvalidInput(
                f"status must be an SMTP reply code from 200 to 599, got {self.status}",
                field="status",
            )
        if "\r" in self.message or "\n" in self.message:
            raise InvalidInput("message must be a single line", field="message")
        check_after(self.after)
        if self.action == "reply" and self.status is None and self.after == 0:
            raise InvalidInput(
                "a reply preset needs a status, a delay (after), or both", field="status"
            )

    @property
    def line(self) -> str:
        """The reply line sent to the client, e.g. ``550 No such user``."""
        return f"{self.status} {self.message}".rstrip()


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise InvalidInput(
            f"stage must be one of {', '.join(STAGES)}, got {stage!r}", field="stage"
        )
    return stage


class SmtpPreset:
    """A stage, an optional regex on what was sent there, a reply, and uses left."""

    __slots__ = ("id", "pattern", "regex", "reply", "size", "stage", "times_left")

    def __init__(
        self,
        preset_id: int,
        stage: str,
        pattern: str | None,
        reply: SmtpReply,
        times: object,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.id = preset_id
        self.size = PRESET_OVERHEAD + len(pattern or "") + len(reply.message)
        """Bytes it counts for against the server's --preset-bytes."""
        self.stage = check_stage(stage)
        self.pattern = pattern
        self.regex = Pattern(pattern, "match", timeout) if pattern is not None else None
        self.reply = reply
        self.times_left: Times = check_times(times)

    def matches(self, stage: str, argument: str) -> bool:
        """Whether this preset applies; raises GaveUp when its regex gives up."""
        return stage == self.stage and (self.regex is None or bool(self.regex.match(argument)))


class SmtpScript:
    """A mock's scripted replies, tried in the order they were added."""

    __slots__ = ("_limits", "_next_id", "_presets", "gave_up")

    def __init__(self, limits: PresetLimits | None = None) -> None:
        self._presets: list[SmtpPreset] = []
        self._next_id = 0
        self._limits = limits or PresetLimits()
        """Shared with the HTTP presets: scripted replies count against the same caps."""
        self.gave_up: list[SmtpPreset] = []
        """Presets whose regex gave up for the first time, for the caller to log."""

    def add(
        self,
        stage: str,
        pattern: str | None,
        reply: SmtpReply,
        times: object,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> SmtpPreset:
        """``timeout``: seconds one evaluation of the ``pattern`` regex may take."""
        preset = SmtpPreset(self._next_id, stage, pattern, reply, times, timeout)
        self._limits.admit(len(self._presets), preset.size)
        self._next_id += 1
        self._presets.append(preset)
        return preset

    def take(self, stage: str, argument: str) -> SmtpReply | None:
        """The reply of the first preset for this stage and argument, one use counted.

        A preset whose regex gives up does not apply; the first time, it is added to
        :attr:`gave_up`.
        """
        for preset in self._presets:
            try:
                applies = preset.matches(stage, argument)
            except GaveUp as gave_up:
                if not gave_up.pattern.reported:
                    gave_up.pattern.reported = True
                    self.gave_up.append(preset)
                continue
            if applies:
                if preset.times_left != FOREVER:
                    preset.times_left -= 1
                    if preset.times_left == 0:
                        self._presets.remove(preset)
                        self._limits.used -= preset.size
                return preset.reply
        return None

    def clear(self) -> None:
        self._limits.used -= sum(p.size for p in self._presets)
        self._presets.clear()

    def __iter__(self) -> Iterator[SmtpPreset]:
        return iter(list(self._presets))

    def __len__(self) -> int:
        return len(self._presets)
