"""Value matchers and nested rules for ``when(...)``, ``count(...)``, ``assert_called(...)``
and ``wait_for_request(...)``.

Wherever a rule keyword takes a value (a query parameter, a header, a cookie, a path
parameter, a JSONPath or XPath result, a multipart part's fields), a plain value means
"equal to it", and a matcher says anything else::

    from pretenders.client import matchers as m

    mock.when(
        method="GET",
        path="/users/{id}",
        path_params={"id": m.regex(r"\\d+")},
        query={"page": m.gt(0), "debug": m.absent()},
        headers={"Authorization": m.regex("Bearer .+")},
    ).reply('{"name": "Ann"}')

Matchers combine: ``m.regex("a.*") & m.contains("b")`` (both), ``m.equals("x") | "y"``
(either), ``~m.contains("test")`` (not). Each becomes the wire's value condition
(``{"matches": ...}``, ``{"contains": ...}``...), see docs/matching.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from pretenders.client._rules import RuleKeywords

__all__ = [
    "Part",
    "Rule",
    "ValueLike",
    "ValueMatcher",
    "absent",
    "all_of",
    "any_of",
    "contains",
    "equals",
    "ge",
    "gt",
    "le",
    "lt",
    "not_",
    "part",
    "present",
    "regex",
    "rule",
]


@dataclass(frozen=True)
class ValueMatcher:
    """A condition on one value, as the wire's value condition (``wire``) holds it."""

    wire: Mapping[str, Any]

    def __and__(self, other: ValueLike) -> ValueMatcher:
        return all_of(self, other)

    def __rand__(self, other: ValueLike) -> ValueMatcher:
        return all_of(other, self)

    def __or__(self, other: ValueLike) -> ValueMatcher:
        return any_of(self, other)

    def __ror__(self, other: ValueLike) -> ValueMatcher:
        return any_of(other, self)

    def __invert__(self) -> ValueMatcher:
        return not_(self)

    def __repr__(self) -> str:
        return f"ValueMatcher({dict(self.wire)!r})"


ValueLike = str | int | float | ValueMatcher
"""A plain value (equal to it) or a :class:`ValueMatcher`."""


def value_wire(value: object) -> Any:
    """A value as the wire takes it: a matcher's condition, a plain text or number as is,
    anything else (true, null, a list, an object: a JSONPath result) as ``equals``."""
    if isinstance(value, ValueMatcher):
        return dict(value.wire)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    return {"equals": value}


def equals(value: Any) -> ValueMatcher:
    """Equal to ``value``: text, or for JSONPath results any JSON value (a plain value in a
    rule means this too)."""
    return ValueMatcher({"equals": value})


def regex(pattern: str) -> ValueMatcher:
    """The whole value matches this regex (``re.fullmatch``; bounded by the server's
    ``--regex-timeout``)."""
    return ValueMatcher({"matches": pattern})


def contains(text: str) -> ValueMatcher:
    """The value contains ``text``."""
    return ValueMatcher({"contains": text})


def absent() -> ValueMatcher:
    """The value is not there at all (no such header, parameter, cookie, JSONPath result)."""
    return ValueMatcher({"absent": True})


def present() -> ValueMatcher:
    """The value is there, whatever it is."""
    return ValueMatcher({"absent": False})


def gt(number: float) -> ValueMatcher:
    """The value, read as a number, is greater than ``number``."""
    return ValueMatcher({"gt": number})


def ge(number: float) -> ValueMatcher:
    """The value, read as a number, is at least ``number``."""
    return ValueMatcher({"ge": number})


def lt(number: float) -> ValueMatcher:
    """The value, read as a number, is less than ``number``."""
    return ValueMatcher({"lt": number})


def le(number: float) -> ValueMatcher:
    """The value, read as a number, is at most ``number``."""
    return ValueMatcher({"le": number})


def any_of(*values: ValueLike) -> ValueMatcher:
    """At least one of these holds (plain values: equal to one of them)."""
    return ValueMatcher({"any": [value_wire(value) for value in values]})


def all_of(*values: ValueLike) -> ValueMatcher:
    """Every one of these holds."""
    return ValueMatcher({"all": [value_wire(value) for value in values]})


def not_(value: ValueLike) -> ValueMatcher:
    """This does not hold (a plain value: anything but it)."""
    return ValueMatcher({"not": value_wire(value)})


@dataclass(frozen=True)
class Part:
    """A part a ``multipart/form-data`` body must have (see :func:`part`)."""

    wire: Mapping[str, Any]


def part(
    name: str,
    *,
    filename: ValueLike | None = None,
    content_type: ValueLike | None = None,
    content: ValueLike | None = None,
) -> Part:
    """A part named ``name``, with (when given) this file name, content type and content
    (as text); each a plain value or a matcher."""
    wire: dict[str, Any] = {"name": name}
    for key, value in (("filename", filename), ("content_type", content_type)):
        if value is not None:
            wire[key] = value_wire(value)
    if content is not None:
        wire["content"] = value_wire(content)
    return Part(wire)


@dataclass(frozen=True)
class Rule:
    """A rule nested in another's ``all_of``, ``any_of`` or ``not_`` (see :func:`rule`)."""

    wire: Mapping[str, Any] = field(default_factory=dict)


def rule(
    rule: str = "",
    headers: Mapping[str, ValueLike] | None = None,
    body: str | None = None,
    data: Mapping[str, str] | None = None,
    **fields: Unpack[RuleKeywords],
) -> Rule:
    """A rule, with the arguments of ``when(...)``, to nest in ``all_of=[...]``,
    ``any_of=[...]`` or ``not_=...``::

        mock.when("GET /search", any_of=[m.rule(query={"q": m.present()}),
                                         m.rule(headers={"X-Query": m.present()})])
    """
    from pretenders.client._rules import rule_wire

    return Rule(rule_wire(rule, headers, body, data, fields, nested=True))


def rules_wire(rules: Sequence[Rule | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Nested rules as the wire takes them (a mapping is taken as wire JSON already)."""
    return [dict(item.wire if isinstance(item, Rule) else item) for item in rules]
