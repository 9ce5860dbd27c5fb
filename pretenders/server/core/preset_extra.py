"""What a preset may do past 1.4's one reply: several replies, and a state machine.

:class:`ExtraSpec` is the data (carried by the wire and the stores), :class:`PresetExtra`
its checked, compiled form, held by the preset (``None`` for a plain preset, so that
serving one costs a single attribute check).
"""

from __future__ import annotations

import msgspec

from pretenders.server.core.matching import MatchRule
from pretenders.server.core.presets import Reply
from pretenders.server.core.reply_choice import Choice
from pretenders.server.core.reply_spec import ReplySpec
from pretenders.server.core.state_machines import StateRule, StateSpec


class ExtraSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A preset's replies (with how one is picked) and its state, as data."""

    replies: tuple[ReplySpec, ...] = ()
    pick: str = "sequence"
    weights: tuple[float, ...] = ()
    """One per reply when any is not 1."""
    seed: int | None = None
    state: StateSpec | None = None


class PresetExtra:
    """:class:`ExtraSpec`, checked and compiled (InvalidInput names the field)."""

    __slots__ = ("choice", "spec", "state")

    def __init__(self, spec: ExtraSpec, rule: MatchRule, timeout: float) -> None:
        self.spec = spec
        self.choice = (
            Choice(
                tuple(Reply.from_spec(reply) for reply in spec.replies),
                spec.pick,
                spec.weights,
                spec.seed,
            )
            if spec.replies
            else None
        )
        self.state = (
            StateRule(spec.state, rule.spec.path, timeout) if spec.state is not None else None
        )

    def first_reply(self, default: Reply) -> Reply:
        """The reply a listing shows as the preset's own, with the preset's webhooks (they
        are sent after whichever reply is chosen)."""
        if self.choice is None:
            return default
        first = self.choice.replies[0]
        if not default.webhooks:
            return first
        return Reply.from_spec(
            msgspec.structs.replace(first.spec, webhooks=default.spec.webhooks), first.options
        )
