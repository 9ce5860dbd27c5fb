"""State machines of a mock: presets that require a state and move to another.

A machine is named per mock (never global) and, with a ``key``, has one instance per key
taken from the request (a path parameter, a header, a query parameter, a JSON value, a
cookie), so that parallel flows do not share state. Every instance starts in
:data:`START`; only instances in another state are stored (a move back to ``start``
forgets the instance), at most :data:`MAX_STATE_KEYS` per mock.

Stores keep states as a flat mapping ``field -> state``, where the field is the machine
name, then a space and the key for a keyed instance (:func:`state_field`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Literal
from urllib.parse import unquote

import msgspec

from pretenders.server.core.errors import CoreError, InvalidInput
from pretenders.server.core.matching import MatchSubject
from pretenders.server.core.records import Difference

START = "start"
"""The state every instance of a machine is in until a preset moves it."""
MAX_STATE_KEYS = 10_000
"""The most state instances (machine and key) one mock holds in a state other than
``start``: a key comes from requests, so their number must be bounded."""
MAX_KEY_LENGTH = 256
"""The longest key taken from a request, in characters."""
MAX_NAME_LENGTH = 100
"""The longest machine or state name."""

_NAME = re.compile(r"[^\s\x00-\x1f\x7f]+")
KEY_SOURCES = ("path", "header", "query", "json", "cookie")


class StateSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """``"state"`` of a preset: the machine, where its key comes from, the state the
    preset requires, and the one serving it moves to."""

    machine: str
    key: str | None = None
    """``path:<param>``, ``header:<Name>``, ``query:<name>``, ``json:<JSONPath>`` or
    ``cookie:<name>``; None: one instance per machine in the mock."""
    requires: str | None = None
    """None: any state."""
    to: str | None = None
    """None: the state stays."""


class TooManyStates(CoreError):
    """A mock holds :data:`MAX_STATE_KEYS` state instances already."""

    status = 409
    code = "too_many_states"


def too_many_states_message(held: int) -> str:
    return (
        f"this mock already holds {held} state instances, the most one mock may "
        f"({MAX_STATE_KEYS}): reset some (DELETE /state/<id>?machine=...) or move "
        "finished flows back to start"
    )


def too_many_states(held: int) -> TooManyStates:
    """What a store raises when a mock holding ``held`` instances is asked for one more."""
    return TooManyStates(too_many_states_message(held), field="state")


def check_name(name: str, field: str) -> str:
    """A machine or state name: non-empty, no spaces or control characters, short."""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
        raise InvalidInput(
            f"{field} must be a name of 1 to {MAX_NAME_LENGTH} characters without spaces, "
            f"got {name!r}",
            field=field,
        )
    return name


def check_key(key: str, field: str = "key") -> str:
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"{field} may be at most {MAX_KEY_LENGTH} characters, got {len(key)}", field=field
        )
    return key


def state_field(machine: str, key: str | None) -> str:
    """Where a store keeps the state of one instance."""
    return machine if key is None else f"{machine} {key}"


def split_field(field: str) -> tuple[str, str | None]:
    """The machine and key (None: unkeyed) of a store's field."""
    machine, space, key = field.partition(" ")
    return machine, (key if space else None)


ResetScope = Literal["all", "machine", "one"]


def reset_scope(machine: str | None, key: str | None) -> tuple[ResetScope, str]:
    """What a reset of states forgets: every instance (``("all", "")``), every instance
    of one machine (``("machine", name)``) or one instance (``("one", field)``)."""
    if machine is None:
        return "all", ""
    if key is None:
        return "machine", machine
    return "one", state_field(machine, key)


def state_entries(states: Mapping[str, str]) -> list[tuple[str, str | None, str]]:
    """The instances of a store's mapping as (machine, key, state), sorted."""
    entries = [(*split_field(field), state) for field, state in states.items()]
    return sorted(entries, key=lambda e: (e[0], e[1] is not None, e[1] or ""))


KeyReader = Callable[[MatchSubject], str | None]


class StateRule:
    """A preset's ``state``, checked: reads the request's key and the instance's state."""

    __slots__ = ("label", "machine", "read_key", "requires", "spec", "to")

    def __init__(self, spec: StateSpec, path_template: str | None, timeout: float) -> None:
        self.spec = spec
        self.machine = check_name(spec.machine, "state.machine")
        self.requires = (
            None if spec.requires is None else check_name(spec.requires, "state.requires")
        )
        self.to = None if spec.to is None else check_name(spec.to, "state.to")
        self.read_key: KeyReader | None = (
            None if spec.key is None else _key_reader(spec.key, path_template, timeout)
        )
        self.label = spec.key or ""

    def instance(self, subject: MatchSubject) -> tuple[str | None, str]:
        """The field of the request's instance (None: the request has no key, or one
        too long), and how a near miss names the instance."""
        if self.read_key is None:
            return self.machine, self.machine
        key = self.read_key(subject)
        if key is None:
            return None, f"{self.machine}[?]"
        if len(key) > MAX_KEY_LENGTH:
            return None, f"{self.machine}[{key[:40]}...]"
        return f"{self.machine} {key}", f"{self.machine}[{key}]"

    def admits(self, field: str | None, states: Mapping[str, str]) -> bool:
        """Whether serving may go on for this instance: the required state holds, and a
        move to a new instance has room."""
        if field is None:
            return False
        current = states.get(field, START)
        if self.requires is not None and current != self.requires:
            return False
        to = self.to
        if to is None or to == START or field in states:
            return True
        return len(states) < MAX_STATE_KEYS

    def move(self, field: str, states: MutableMapping[str, str]) -> None:
        """Serving moves the instance to ``to`` (a move to start forgets it)."""
        to = self.to
        if to is None:
            return
        if to == START:
            states.pop(field, None)
        else:
            states[field] = to

    def difference(self, subject: MatchSubject, states: Mapping[str, str]) -> Difference | None:
        """Why this rule does not admit the request, for a near miss (None: it does)."""
        field, named = self.instance(subject)
        if field is None:
            return Difference(
                f"state {named}", self.requires or "any state", f"(no key: {self.label})"
            )
        current = states.get(field, START)
        if self.requires is not None and current != self.requires:
            return Difference(f"state {named}", self.requires, current)
        if not self.admits(field, states):
            held = f"{current} (the mock holds {len(states)} instances, the most it may)"
            return Difference(f"state {named}", f"room to move to {self.to}", held)
        return None


def _key_reader(source: str, path_template: str | None, timeout: float) -> KeyReader:
    kind, colon, name = source.partition(":")
    if not colon or kind not in KEY_SOURCES or not name:
        raise InvalidInput(
            f"state.key must be path:<param>, header:<Name>, query:<name>, json:<JSONPath> "
            f"or cookie:<name>, got {source!r}",
            field="state.key",
        )
    if kind == "path":
        return _path_reader(name, path_template)
    if kind == "header":
        lower = name.lower()

        def header(subject: MatchSubject) -> str | None:
            values = subject.header_values(lower)
            return values[0] if values else None

        return header
    if kind == "query":
        from pretenders.server.core.rule_fields import query_of

        def query(subject: MatchSubject) -> str | None:
            values: list[str] = subject.view("query", query_of).get(name, [])  # type: ignore[attr-defined]
            return values[0] if values else None

        return query
    if kind == "cookie":
        from pretenders.server.core.rule_fields import cookies_of

        def cookie(subject: MatchSubject) -> str | None:
            cookies: dict[str, str] = subject.view("cookies", lambda _: cookies_of(subject))  # type: ignore[assignment]
            return cookies.get(name)

        return cookie
    return _json_reader(name, timeout)


def _path_reader(name: str, path_template: str | None) -> KeyReader:
    from pretenders.server.core.rule_fields import PathTemplate, request_path

    if path_template is None:
        raise InvalidInput(
            f"state.key path:{name} needs a path template in the rule (e.g. "
            f'"path": "/orders/{{{name}}}")',
            field="state.key",
        )
    template = PathTemplate(path_template)
    if name not in template.names:
        raise InvalidInput(
            f"state.key: {name!r} is not a parameter of the rule's path {path_template!r}",
            field="state.key",
        )

    def path(subject: MatchSubject) -> str | None:
        sent = request_path(subject.record)
        parameters = template.parameters(unquote(sent) if "%2F" not in sent else sent)
        return None if parameters is None else parameters[name]

    return path


def _json_reader(expression: str, timeout: float) -> KeyReader:
    from pretenders.server.core.json_fields import NOT_JSON_BODY, json_of
    from pretenders.server.core.json_path import compile_jsonpath

    try:
        compiled, budget = compile_jsonpath(expression, timeout)
    except InvalidInput as error:
        raise InvalidInput(f"state.key: {error.message}", field="state.key") from None

    def json_key(subject: MatchSubject) -> str | None:
        document = json_of(subject)
        if document is NOT_JSON_BODY:
            return None
        budget.start()
        try:
            found: Any = compiled.match(document)
        except Exception:  # a regex that gave up, a document too deep: no key
            return None
        if found is None or found.obj is None:
            return None
        value = found.obj
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    return json_key
