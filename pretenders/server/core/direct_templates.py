"""Templates that only print request values and helper calls, rendered without Jinja2's
runtime.

Most templated replies are text with a few ``{{ request.path_params.id }}``,
``{{ request.query.q }}`` or ``{{ now() }}`` in it. Their parse tree is kept as a list of
literal parts and lookups, evaluated straight against the request's view: no context
object, no generator, no sandbox dispatch per attribute. Anything else (a filter, a test,
an operator, a loop, an attribute of something other than a mapping...) is rendered by
Jinja2's sandbox as before, and so is any lookup that does not land on a plain mapping or
list at render time, or that fails: the result is the sandbox's, whichever path renders
it. A helper call is made only when the sandbox would let it take its arguments (the
render's limit bounds them), after every lookup has succeeded, and fails as it does in
the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jinja2 import nodes

if TYPE_CHECKING:
    from pretenders.server.core.templating import TemplateContext

HELPERS = frozenset({"now", "uuid", "counter", "random_int", "random_string"})
"""Helper calls a direct template may make (with constant arguments)."""


class Fallback(Exception):
    """This render needs Jinja2's sandbox (a lookup that is not a plain mapping's)."""


_MISSING = object()

Step = tuple[bool, object]
"""One lookup after ``request.<name>``: (by item, key)."""


Part = Callable[["TemplateContext"], str]


LeastLimit = Callable[[tuple[object, ...]], int]
"""The smallest render limit under which the sandbox lets a call take these arguments."""


class DirectTemplate:
    """Literal parts, lookups and helper calls, in order."""

    __slots__ = ("calls", "least_limit", "lookups", "parts")

    def __init__(self, parts: list[str | Part], calls: tuple[int, ...], least_limit: int) -> None:
        self.parts = parts
        self.calls = calls
        """The places of helper calls, in order: made after every lookup has succeeded, so
        that a render handed to the sandbox has not counted ``counter()`` already."""
        self.lookups = tuple(
            place
            for place, part in enumerate(parts)
            if not isinstance(part, str) and place not in calls
        )
        self.least_limit = least_limit
        """Below this render limit the sandbox refuses an argument of a call."""

    def render(self, context: TemplateContext) -> str | None:
        """The text; None when the sandbox is to render it. A helper that fails raises
        its error (the caller words it as the sandbox does)."""
        limit = context.limit
        if limit < self.least_limit:
            return None
        parts = self.parts
        texts = [part if isinstance(part, str) else "" for part in parts]
        try:
            for place in self.lookups:
                texts[place] = parts[place](context)  # type: ignore[operator]
        except Exception:  # Fallback, or a lookup that fails: the sandbox says how
            return None
        # The sandbox stops at the first output past the limit: no call after it is made.
        before, start = 0, 0
        for place in self.calls:
            before += sum(map(len, texts[start:place]))
            start = place
            if before > limit:
                return None
            made = parts[place](context)  # type: ignore[operator]
            if len(made) > limit:
                return None
            texts[place] = made
        return "".join(texts)


def direct_template(
    template: nodes.Template, public: frozenset[str], least_limit: LeastLimit
) -> DirectTemplate | None:
    """The template as a :class:`DirectTemplate`, or None when it does more than print
    ``request.<public name>`` lookups and helper calls."""
    parts: list[str | Part] = []
    calls: list[int] = []
    limit = 0
    for statement in template.body:
        if not isinstance(statement, nodes.Output):
            return None
        for node in statement.nodes:
            if isinstance(node, nodes.TemplateData):
                parts.append(node.data)
                continue
            part = _lookup(node, public)
            if part is None:
                made = _helper_call(node)
                if made is None:
                    return None
                part, args = made
                calls.append(len(parts))
                limit = max(limit, least_limit(args))
            parts.append(part)
    return DirectTemplate(parts, tuple(calls), limit)


def _lookup(node: nodes.Node, public: frozenset[str]) -> Part | None:
    steps: list[Step] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            steps.append((False, node.attr))
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, (str, int)):
            steps.append((True, node.arg.value))
        else:
            return None
        node = node.node
    if not (isinstance(node, nodes.Name) and node.name == "request" and steps):
        return None
    steps.reverse()
    by_item, first = steps[0]
    if by_item or not isinstance(first, str) or first not in public:
        return None
    rest = tuple(steps[1:])
    last = len(rest) - 1

    def look(context: TemplateContext) -> str:
        value: Any = getattr(context.request, first)
        for place, (item, key) in enumerate(rest):
            value = _step(value, key, item)
            if value is _MISSING:
                if place < last:
                    raise Fallback  # a lookup in an undefined value: the sandbox's error
                return ""  # undefined prints nothing, as in the sandbox
        return _text(value)

    return look


def _step(value: object, key: object, by_item: bool) -> object:
    """``value.key`` or ``value[key]`` as the sandbox reads a plain mapping or list."""
    if isinstance(value, Mapping):
        if isinstance(key, str) and hasattr(type(value), key):
            raise Fallback  # an attribute of the mapping itself (``items``...)
        return value.get(key, _MISSING)
    if by_item and isinstance(key, int) and isinstance(value, Sequence):
        if isinstance(value, str):
            raise Fallback
        try:
            return value[key]
        except IndexError:
            return _MISSING
    raise Fallback


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (Mapping, list, tuple, int, float)) or value is None:
        return str(value)
    raise Fallback  # anything else prints as the sandbox decides


def _helper_call(node: nodes.Node) -> tuple[Part, tuple[object, ...]] | None:
    """``now()``, ``uuid()``, ``counter()``, ``random_int(a, b)`` or ``random_string()``;
    ``now`` may take a constant format and offset, ``random_int`` constant bounds. The
    call and its arguments."""
    if not (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name in HELPERS
        and not node.kwargs
        and node.dyn_args is None
        and node.dyn_kwargs is None
        and all(isinstance(arg, nodes.Const) for arg in node.args)
    ):
        return None
    name = node.node.name
    args = tuple(arg.value for arg in node.args)  # type: ignore[attr-defined]
    if args and name not in _WITH_ARGUMENTS.get(type(args[0]), ()):
        return None  # e.g. random_string(n): the sandbox bounds what n may make

    def call(context: TemplateContext) -> str:
        result = context.helper(name)(*args)
        return result if isinstance(result, str) else str(result)

    return call, args


_WITH_ARGUMENTS: dict[type, frozenset[str]] = {
    str: frozenset({"now"}),
    int: frozenset({"now", "random_int"}),
    float: frozenset({"now"}),
}
