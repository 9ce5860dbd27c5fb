"""Presets given when a mock is created, so that a test sets its mock up in one round trip.

Example::

    from pretenders.client.http import HTTPMock, when

    mock = HTTPMock("localhost", 8000, presets=[
        when("GET /users/1").reply('{"name": "Ann"}', headers={"Content-Type": "application/json"}),
        when(method="POST", path="/users").reply(status=201, times=FOREVER),
    ])

``when`` takes what ``HTTPMock.when`` takes and ``reply`` what ``HTTPMock.reply`` takes; the
server checks every preset before it creates the mock, and creates nothing if one is bad.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pretenders.client import _operations as ops
from pretenders.client.matchers import ValueLike
from pretenders.common.constants import Forever

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from pretenders.client._rules import RuleKeywords
    from pretenders.client.replies import ReplyOptions

__all__ = ["Preset", "PresetRule", "when"]


@dataclass(frozen=True)
class Preset:
    """One canned reply with its rule, as ``POST /preset/<id>`` takes it: give a list of
    them as ``presets=`` when creating an ``HTTPMock`` (or ``AsyncHTTPMock``)."""

    payload: dict[str, Any]


@dataclass(frozen=True)
class PresetRule:
    """The request side of a preset: ``reply(...)`` completes it."""

    rule: dict[str, Any] | str

    def reply(
        self,
        body: bytes | str = b"",
        status: int | str = 200,
        headers: Mapping[str, str] | None = None,
        times: int | Forever = 1,
        after: float = 0,
        **options: Unpack[ReplyOptions],
    ) -> Preset:
        """The preset answering matching requests with this reply (``HTTPMock.reply``'s
        arguments)."""
        return Preset(ops.preset_payload(self.rule, body, status, headers, times, after, **options))


def when(
    rule: str = "",
    headers: Mapping[str, ValueLike] | None = None,
    body: str | None = None,
    data: Mapping[str, str] | None = None,
    **fields: Unpack[RuleKeywords],
) -> PresetRule:
    """A rule for a preset given at creation: ``HTTPMock.when``'s arguments and keywords."""
    return PresetRule(ops.rule_payload(rule, headers, body, data, fields))


def payloads(presets: Any) -> list[dict[str, Any]]:
    """The wire payloads of ``presets``, refusing anything but :class:`Preset`."""
    found = list(presets or ())
    for index, preset in enumerate(found):
        if not isinstance(preset, Preset):
            raise TypeError(
                f"presets[{index}]: expected when(...).reply(...), got {type(preset).__name__}"
            )
    return [preset.payload for preset in found]
