"""Matchers of the JSON fields of the rule language: ``json`` (equality, optionally
ignoring extra fields or array order) here, ``jsonpath`` in :mod:`.json_path` and
``json_schema`` in :mod:`.json_schema`.

The body is parsed as JSON at most once per request, and only when a preset has one of
these fields (the view ``"json"`` of :class:`~.matching.MatchSubject`). Expressions and
schemas are compiled once, when the preset is added; a bad one is an
:class:`~.errors.InvalidInput` naming its field.

A near miss names the field and, for ``json``, the JSON path of the first value that
differs (``json $.order.items[0].sku``); values are quoted as JSON, so that ``1`` and
``"1"`` are told apart.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

import msgspec

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import NOT_JSON, TOO_DEEP, Matcher, MatchSubject
from pretenders.server.core.patterns import GaveUp, Pattern, milliseconds
from pretenders.server.core.records import Difference, RequestRecord
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.core.values import MISSING

SHOWN_LIMIT: Final = 200
"""Characters of a JSON value a near miss keeps (records stay small)."""


class _NotJson:
    def __repr__(self) -> str:
        return NOT_JSON


NOT_JSON_BODY: Final = _NotJson()
"""The ``"json"`` view of a request whose body is not JSON."""

_decode = msgspec.json.Decoder().decode


def parse_json(record: RequestRecord) -> object:
    """The body parsed as JSON, or :data:`NOT_JSON_BODY` (also for an empty body)."""
    try:
        return _decode(record.body)
    except (msgspec.DecodeError, RecursionError):
        return NOT_JSON_BODY


def json_of(subject: MatchSubject) -> object:
    """The request's body as JSON, parsed the first time a matcher asks for it."""
    return subject.view("json", parse_json)


def compile_fields(spec: RuleSpec, timeout: float) -> list[Matcher]:
    """The matchers of ``spec``'s JSON fields (``json``, ``jsonpath``, ``json_schema``)."""
    matchers: list[Matcher] = []
    if spec.json is not msgspec.UNSET:
        expected = as_json(spec.json, "json")
        matchers.append(JsonEquals(expected, spec.json_ignore_extra, spec.json_ignore_order))
    else:
        for option in ("json_ignore_extra", "json_ignore_order"):
            if getattr(spec, option):
                raise InvalidInput(f"{option} needs a json value to compare with", field=option)
    if spec.jsonpath:
        # The libraries are imported when a rule first needs them: they take a few tenths
        # of a second, which a server whose rules use neither need not spend.
        from pretenders.server.core.json_path import JsonPathMatcher

        for expression, value in spec.jsonpath.items():
            matchers.append(JsonPathMatcher(expression, value, timeout))
    if spec.json_schema is not None:
        from pretenders.server.core.json_schema import JsonSchemaMatcher

        matchers.append(JsonSchemaMatcher(as_json(spec.json_schema, "json_schema"), timeout))
    return matchers


def as_json(value: object, field: str) -> Any:
    """``value`` as JSON reads it back: a ``--load`` YAML file's dates become text, as they
    would in a shared store."""
    try:
        return _decode(msgspec.json.encode(value))
    except (TypeError, msgspec.EncodeError, msgspec.DecodeError, RecursionError) as error:
        raise InvalidInput(f"{field}: not a JSON value: {error}", field=field) from None


def cut(text: str) -> str:
    """``text``, cut to :data:`SHOWN_LIMIT` characters."""
    return text if len(text) <= SHOWN_LIMIT else text[:SHOWN_LIMIT] + "..."


def shown_json(value: object) -> str:
    """A JSON value as a near miss quotes it: as JSON, cut when long."""
    if value is MISSING:
        return "(absent)"
    return cut(json.dumps(value, ensure_ascii=False, sort_keys=True))


# -- json: equality -----------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def member_path(path: str, key: str) -> str:
    """``$.order`` + ``items`` -> ``$.order.items``; other keys in brackets."""
    if _NAME.match(key):
        return f"{path}.{key}"
    quoted = json.dumps(key, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"{path}['{quoted}']"  # RFC 9535's normalized form


class JsonEquals:
    """The body parsed as JSON equals a value: key order never matters, numbers compare
    by value (``1 == 1.0``) but never equal booleans.

    ``ignore_extra``: objects in the request may have fields beyond those given, at any
    depth (arrays keep their length). ``ignore_order``: arrays are compared as multisets,
    at any depth.
    """

    __slots__ = ("expected", "ignore_extra", "ignore_order")

    def __init__(self, expected: object, ignore_extra: bool, ignore_order: bool) -> None:
        self.expected = expected
        self.ignore_extra = ignore_extra
        self.ignore_order = ignore_order

    def difference(self, subject: MatchSubject) -> Difference | None:
        actual = json_of(subject)
        if actual is NOT_JSON_BODY:
            return Difference("json", shown_json(self.expected), NOT_JSON)
        try:
            found = self.first_difference(self.expected, actual, "$")
        except RecursionError:
            return Difference("json", shown_json(self.expected), TOO_DEEP)
        if found is None:
            return None
        path, expected, got = found
        return Difference(f"json {path}", shown_json(expected), shown_json(got))

    def first_difference(
        self, expected: object, actual: object, path: str
    ) -> tuple[str, object, object] | None:
        """Where ``actual`` first differs from ``expected``: (path, expected, actual)."""
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                return path, expected, actual
            for key, value in expected.items():
                if key not in actual:
                    return member_path(path, key), value, MISSING
                found = self.first_difference(value, actual[key], member_path(path, key))
                if found is not None:
                    return found
            if not self.ignore_extra and len(actual) > len(expected):
                extra = next(key for key in actual if key not in expected)
                return member_path(path, extra), MISSING, actual[extra]
            return None
        if isinstance(expected, list):
            if not isinstance(actual, list):
                return path, expected, actual
            if self.ignore_order:
                return None if self._same_multiset(expected, actual) else (path, expected, actual)
            for index, value in enumerate(expected):
                if index >= len(actual):
                    return f"{path}[{index}]", value, MISSING
                found = self.first_difference(value, actual[index], f"{path}[{index}]")
                if found is not None:
                    return found
            if len(actual) > len(expected):
                return f"{path}[{len(expected)}]", MISSING, actual[len(expected)]
            return None
        return None if same_scalar(expected, actual) else (path, expected, actual)

    def _same_multiset(self, expected: list[Any], actual: list[Any]) -> bool:
        if len(expected) != len(actual):
            return False
        if not self.ignore_extra:
            return Counter(map(canonical, expected)) == Counter(map(canonical, actual))
        # Pair equal elements first: safe, as "matches with extra fields ignored" is a
        # preorder (an element equal to a partner can give it up to anything it matches).
        keys = [canonical(value) for value in expected]
        unpaired = Counter(keys)
        remaining_actual = []
        for value in actual:
            key = canonical(value)
            if unpaired[key] > 0:
                unpaired[key] -= 1
            else:
                remaining_actual.append(value)
        remaining_expected = []
        for key, value in zip(keys, expected, strict=True):
            if unpaired[key] > 0:
                unpaired[key] -= 1
                remaining_expected.append(value)
        return self._perfect_matching(remaining_expected, remaining_actual)

    def _perfect_matching(self, expected: list[Any], actual: list[Any]) -> bool:
        """Whether each expected element can be paired with its own actual one (Kuhn's
        augmenting paths over the "matches" relation, each pair tested once)."""
        fits: dict[tuple[int, int], bool] = {}

        def fit(i: int, j: int) -> bool:
            known = fits.get((i, j))
            if known is None:
                known = fits[i, j] = self.first_difference(expected[i], actual[j], "$") is None
            return known

        partner: list[int | None] = [None] * len(actual)

        def place(i: int, seen: set[int]) -> bool:
            for j in range(len(actual)):
                if j in seen or not fit(i, j):
                    continue
                seen.add(j)
                held = partner[j]
                if held is None or place(held, seen):
                    partner[j] = i
                    return True
            return False

        return all(place(i, set()) for i in range(len(expected)))


def same_scalar(expected: object, actual: object) -> bool:
    """JSON equality of two scalars: 1 == 1.0, true != 1, "1" != 1."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and expected == actual
    return type(expected) is type(actual) and expected == actual


def canonical(value: object) -> object:
    """A hashable form of a JSON value, equal for equal values whatever the key order,
    the order of arrays (compared as multisets) and ``1`` against ``1.0``."""
    if isinstance(value, dict):
        return ("object", frozenset((key, canonical(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("array", frozenset(Counter(map(canonical, value)).items()))
    if isinstance(value, bool):
        return ("boolean", value)
    return value  # numbers (1 and 1.0 hash and compare equal), text, null


# -- regexes of queries and schemas ------------------------------------------------------------


class RegexBudget:
    """One ``--regex-timeout`` for all the regex evaluations of one JSONPath query or one
    schema validation on one request: a body of many short strings cannot add up many
    evaluations that each stop just short of the limit."""

    __slots__ = ("deadline", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = math.inf

    def start(self) -> None:
        self.deadline = time.monotonic() + self.timeout

    def run(self, test: Callable[[str], object], pattern: Pattern, text: str) -> bool:
        """``test(text)``; :class:`GaveUp` (of ``pattern``) once the budget is spent."""
        if time.monotonic() > self.deadline:
            raise GaveUp(pattern)
        return bool(test(text))


def gave_up_difference(field: str, error: GaveUp, what: str) -> Difference:
    """The near miss of a rule whose regex gave up on this request."""
    actual = (
        f"(a regular expression of the {what} gave up after {milliseconds(error.pattern.timeout)})"
    )
    return Difference(field, error.pattern.source, actual, gave_up=True)
