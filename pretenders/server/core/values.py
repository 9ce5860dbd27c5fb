"""Value conditions, compiled once: what a query parameter, header, cookie, JSONPath or
XPath result, or multipart part must be (see :class:`~.rule_spec.ValueSpec`).

A :class:`ValueCondition` answers ``problem(actual)``: None when ``actual`` satisfies it,
else a short text saying what was expected. ``actual`` is :data:`MISSING` when there is
no value at all. Regexes are user regexes: bounded in time like every other
(:class:`~.patterns.Pattern`); one that gives up is a miss saying so.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

import msgspec

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.patterns import DEFAULT_TIMEOUT, GaveUp, Pattern, milliseconds
from pretenders.server.core.rule_spec import Value, ValueSpec


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Final = _Missing()
"""The value is not there at all."""


def shown(value: object) -> str:
    """A value as a near miss quotes it: text as is, anything else as JSON."""
    if value is MISSING:
        return "(absent)"
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


class ValueCondition:
    """One compiled :data:`~.rule_spec.Value`."""

    __slots__ = ("checks", "description", "equals_text")

    def __init__(self, value: Value, field: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        spec = value if isinstance(value, ValueSpec) else ValueSpec(equals=_text(value))
        self.description = describe(spec)
        self.checks = tuple(_checks(spec, field, timeout))
        if not self.checks:
            raise InvalidInput(f"{field}: a value condition needs at least one test", field=field)
        only_equals = len(self.checks) == 1 and isinstance(spec.equals, str)
        self.equals_text: str | None = spec.equals if only_equals else None
        """The text a value must equal, when that is the whole condition: a text value
        is then checked with ``==`` alone (a query or header value is always text)."""

    def problem(self, actual: object) -> str | None:
        """None when ``actual`` satisfies the condition, else what was expected."""
        for check in self.checks:
            wrong: str | None = check(actual)
            if wrong is not None:
                return wrong
        return None

    def holds(self, actual: object) -> bool:
        return self.problem(actual) is None


def _text(value: object) -> object:
    # 1.4 clients passed numbers for header and form values: compare them as their text.
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def describe(spec: ValueSpec) -> str:
    """The condition in a few words, for near misses: ``equals "A1"``, ``> 10``..."""
    parts = []
    if spec.equals is not msgspec.UNSET:
        parts.append(shown(spec.equals))
    if spec.matches is not None:
        parts.append(f"matches {spec.matches!r}")
    if spec.contains is not None:
        parts.append(f"contains {spec.contains!r}")
    if spec.absent is True:
        parts.append("absent")
    if spec.absent is False:
        parts.append("present")
    for name, symbol in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        bound = getattr(spec, name)
        if bound is not None:
            parts.append(f"{symbol} {bound:g}")
    if spec.any:
        parts.append("any of (" + "; ".join(_describe_value(v) for v in spec.any) + ")")
    if spec.all:
        parts.append("all of (" + "; ".join(_describe_value(v) for v in spec.all) + ")")
    if spec.not_ is not None:
        parts.append(f"not ({_describe_value(spec.not_)})")
    return " and ".join(parts)


def _describe_value(value: Value) -> str:
    return describe(value) if isinstance(value, ValueSpec) else shown(_text(value))


def _checks(spec: ValueSpec, field: str, timeout: float) -> list[Any]:
    checks: list[Any] = []
    if spec.absent is True:
        checks.append(lambda actual: None if actual is MISSING else "absent")
    elif spec.absent is False:
        checks.append(lambda actual: "present" if actual is MISSING else None)
    if spec.equals is not msgspec.UNSET:
        expected = spec.equals

        def equals(actual: object) -> str | None:
            if (actual == expected and type(actual) is not bool) or actual is expected:
                return None
            if isinstance(actual, (int, float)) and isinstance(expected, str):
                return None if _number_text(actual) == expected else shown(expected)
            return shown(expected)

        checks.append(equals)
    if spec.matches is not None:
        pattern = Pattern(f"(?:{spec.matches})\\Z", field, timeout)
        source = spec.matches

        def matches(actual: object) -> str | None:
            text = _as_text(actual)
            if text is None:
                return f"matches {source!r}"
            try:
                return None if pattern.match(text) else f"matches {source!r}"
            except GaveUp:
                return f"matches {source!r} (gave up after {milliseconds(timeout)})"

        checks.append(matches)
    if spec.contains is not None:
        needle = spec.contains
        checks.append(
            lambda actual: (
                None
                if (text := _as_text(actual)) is not None and needle in text
                else f"contains {needle!r}"
            )
        )
    for name, test, symbol in (
        ("gt", lambda a, b: a > b, ">"),
        ("ge", lambda a, b: a >= b, ">="),
        ("lt", lambda a, b: a < b, "<"),
        ("le", lambda a, b: a <= b, "<="),
    ):
        bound = getattr(spec, name)
        if bound is not None:
            checks.append(_comparison(test, bound, f"{symbol} {bound:g}"))
    if spec.any:
        options = [ValueCondition(v, field, timeout) for v in spec.any]
        text = describe(ValueSpec(any=spec.any))
        checks.append(lambda actual: None if any(o.holds(actual) for o in options) else text)
    if spec.all:
        every = [ValueCondition(v, field, timeout) for v in spec.all]
        checks.append(lambda actual: next((w for o in every if (w := o.problem(actual))), None))
    if spec.not_ is not None:
        negated = ValueCondition(spec.not_, field, timeout)
        text = f"not ({negated.description})"
        checks.append(lambda actual: text if negated.holds(actual) else None)
    return checks


def _comparison(test: Any, bound: float, text: str) -> Any:
    def compare(actual: object) -> str | None:
        number = _as_number(actual)
        return None if number is not None and test(number, bound) else text

    return compare


def _as_text(actual: object) -> str | None:
    if actual is MISSING or actual is None:
        return None
    if isinstance(actual, str):
        return actual
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return _number_text(actual)
    return shown(actual)


def _number_text(number: float) -> str:
    return str(int(number)) if isinstance(number, float) and number.is_integer() else str(number)


def _as_number(actual: object) -> float | None:
    if isinstance(actual, bool) or actual is MISSING or actual is None:
        return None
    if isinstance(actual, (int, float)):
        return float(actual)
    if isinstance(actual, str):
        try:
            number = float(actual.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None
