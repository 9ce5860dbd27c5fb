"""Several replies and state machines for presets, as the clients send and read them.

``mock.when(...).reply(replies=[Reply("busy", status=503), Reply("ok")])`` serves them in
order (then the last one again; ``pick="cycle"`` starts over, ``pick="random"`` draws by
``weight``); ``reply(..., state=State("order", key="path:id", requires="created",
to="paid"))`` only answers while that state machine instance is in ``requires``, and moves
it on. ``mock.state()`` reads the instances, ``set_state`` and ``reset_state`` change them.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

__all__ = ["START", "Reply", "State", "States"]

START = "start"
"""The state every instance of a machine is in until a preset or ``set_state`` moves it."""


@dataclass(frozen=True)
class Reply:
    """One reply of a preset's ``replies``."""

    body: bytes | str = b""
    status: int = 200
    headers: Mapping[str, str] | None = None
    after: float = 0
    """Seconds to wait before answering."""
    weight: float | None = None
    """With ``pick="random"``: how likely this reply is against the others (default 1)."""

    def wire(self) -> dict[str, Any]:
        """The reply as ``POST /preset`` takes it."""
        raw = self.body.encode("utf-8") if isinstance(self.body, str) else self.body
        payload: dict[str, Any] = {
            "status": self.status,
            "body": base64.b64encode(raw).decode("ascii"),
        }
        if self.headers:
            payload["headers"] = dict(self.headers)
        if self.after:
            payload["after"] = self.after
        if self.weight is not None:
            payload["weight"] = self.weight
        return payload


@dataclass(frozen=True)
class State:
    """A preset's state machine: the instance it requires a state of, and moves on.

    ``key``: where each request's instance comes from (``"path:<param>"``,
    ``"header:<Name>"``, ``"query:<name>"``, ``"json:<JSONPath>"``, ``"cookie:<name>"``);
    None for one instance per machine in the mock."""

    machine: str
    key: str | None = None
    requires: str | None = None
    to: str | None = None

    def wire(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not None}


class ReplyOptions(TypedDict, total=False):
    """The keywords of ``reply(...)`` past 1.4's ``body``, ``status``, ``headers``,
    ``times`` and ``after`` (see ``HTTPMock.reply``); each is sent only when given."""

    priority: int | None
    """Tried before the presets of a larger number (1 first), and before those without."""
    template: bool
    """Status, header values and body are templates rendered from each request."""
    body_file: str | None
    """The body is this file's, a path under the server's ``--files-root``."""
    fault: str | None
    """A network fault instead of a reply: ``reset``, ``empty``, ``garbage``..."""
    pacing: Mapping[str, float] | None
    """The body sent slowly: ``{"chunks": N, "over": s}`` or ``{"bytes_per_second": B}``."""
    delay: Mapping[str, Any] | None
    """A delay drawn for each request: ``{"fixed": s}``, ``{"uniform": [low, high]}``..."""
    replies: Sequence[Reply | Mapping[str, Any]] | None
    """Several replies instead of the one, served as ``pick`` says."""
    pick: str | None
    """``sequence``, ``cycle`` or ``random`` (seeded by ``seed``)."""
    seed: int | None
    state: State | Mapping[str, Any] | None
    """The state machine instance the preset requires and moves on."""
    webhooks: Sequence[Mapping[str, Any]] | None
    """Calls the server makes after serving the preset."""


REPLY_OPTIONS = frozenset(ReplyOptions.__annotations__)


class States(dict[tuple[str, "str | None"], str]):
    """A mock's state machine instances: ``states["order", "42"]`` (``None`` as the key of
    an unkeyed machine); an instance never moved is in ``"start"``."""

    def __missing__(self, instance: tuple[str, str | None]) -> str:
        return START


def replies_wire(
    replies: Sequence[Reply | Mapping[str, Any]] | None,
    pick: str | None,
    seed: int | None,
    state: State | Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The fields of a preset past its one reply, as ``POST /preset`` takes them."""
    fields: dict[str, Any] = {}
    if replies is not None:
        fields["replies"] = [
            one.wire() if isinstance(one, Reply) else Reply(**one).wire() for one in replies
        ]
    if pick is not None:
        fields["pick"] = pick
    if seed is not None:
        fields["seed"] = seed
    if state is not None:
        fields["state"] = state.wire() if isinstance(state, State) else dict(state)
    return fields


def states_of(listed: Sequence[Mapping[str, Any]]) -> States:
    """``GET /state/<id>``'s answer as :class:`States`."""
    return States({(item["machine"], item["key"]): item["state"] for item in listed})
