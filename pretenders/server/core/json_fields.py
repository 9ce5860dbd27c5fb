"""Matchers of the JSON fields of the rule language: ``json`` (equality, optionally
ignoring extra fields or array order), ``jsonpath`` and ``json_schema``.

The body is parsed as JSON at most once per request, and only when a preset has one of
these fields (the view ``"json"`` of :class:`~.matching.MatchSubject`). Expressions and
schemas are compiled once, when the preset is added; a bad one is an
:class:`~.errors.InvalidInput` naming its field.

A near miss names the field and, for ``json``, the JSON path of the first value that
differs (``json $.order.items[0].sku``); values are quoted as JSON, so that ``1`` and
``"1"`` are told apart.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import jsonpath
import msgspec
from jsonpath.function_extensions import ExpressionType, FilterFunction
from jsonschema import exceptions as schema_exceptions
from jsonschema import validators
from jsonschema.protocols import Validator
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

from pretenders.server.core import patterns as _patterns
from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import Matcher, MatchSubject
from pretenders.server.core.patterns import GaveUp, Pattern, milliseconds
from pretenders.server.core.records import Difference, RequestRecord
from pretenders.server.core.rule_spec import RuleSpec, Value
from pretenders.server.core.values import MISSING, ValueCondition, shown

NOT_JSON: Final = "(a body that is not JSON)"
TOO_DEEP: Final = "(JSON too deep or too large to compare)"
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
    for expression, value in (spec.jsonpath or {}).items():
        matchers.append(JsonPathMatcher(expression, value, timeout))
    if spec.json_schema is not None:
        matchers.append(JsonSchemaMatcher(as_json(spec.json_schema, "json_schema"), timeout))
    return matchers


def as_json(value: object, field: str) -> Any:
    """``value`` as JSON reads it back: a ``--load`` YAML file's dates become text, as they
    would in a shared store."""
    try:
        return _decode(msgspec.json.encode(value))
    except (TypeError, msgspec.EncodeError, msgspec.DecodeError, RecursionError) as error:
        raise InvalidInput(f"{field}: not a JSON value: {error}", field=field) from None


def shown_json(value: object) -> str:
    """A JSON value as a near miss quotes it: as JSON, cut when long."""
    if value is MISSING:
        return "(absent)"
    return _cut(json.dumps(value, ensure_ascii=False, sort_keys=True))


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


# -- jsonpath -------------------------------------------------------------------------------


class _BoundedRegex(FilterFunction):
    """RFC 9535's ``match`` / ``search`` with the server's regex time limit (a filter's
    regex may even come from the request body)."""

    arg_types = [ExpressionType.VALUE, ExpressionType.VALUE]  # noqa: RUF012 - the library's API
    return_type = ExpressionType.LOGICAL
    CACHE_SIZE = 64

    def __init__(self, whole: bool, budget: RegexBudget) -> None:
        self.whole = whole
        self.budget = budget
        self.cache: dict[str, Pattern | None] = {}

    def __call__(self, value: object, pattern: object) -> bool:
        if not isinstance(value, str) or not isinstance(pattern, str):
            return False
        compiled = self.cache.get(pattern, MISSING)
        if compiled is MISSING:
            if len(self.cache) >= self.CACHE_SIZE:
                self.cache.clear()
            source = f"(?:{pattern})\\Z" if self.whole else pattern
            try:
                compiled = Pattern(source, "jsonpath", self.budget.timeout)
            except InvalidInput:
                compiled = None  # RFC 9535: a function with an invalid regex is false
            self.cache[pattern] = compiled
        if not isinstance(compiled, Pattern):
            return False
        test = compiled.match if self.whole else compiled.search
        return self.budget.run(test, compiled, value)


class _Environment(jsonpath.JSONPathEnvironment):
    """RFC 9535 JSONPath (strict: no extensions), its regex functions time-limited."""

    def __init__(self, timeout: float) -> None:
        self.budget = RegexBudget(timeout)
        super().__init__(strict=True)

    def setup_function_extensions(self) -> None:
        super().setup_function_extensions()
        self.function_extensions["match"] = _BoundedRegex(whole=True, budget=self.budget)
        self.function_extensions["search"] = _BoundedRegex(whole=False, budget=self.budget)


_environments: dict[float, _Environment] = {}


def _environment(timeout: float) -> _Environment:
    environment = _environments.get(timeout)
    if environment is None:
        environment = _environments[timeout] = _Environment(timeout)
    return environment


def compile_jsonpath(expression: str, timeout: float) -> tuple[Any, RegexBudget]:
    """An RFC 9535 JSONPath expression, compiled, and the budget of its regexes;
    InvalidInput naming ``jsonpath`` if it is not one."""
    environment = _environment(timeout)
    try:
        return environment.compile(expression), environment.budget
    except (jsonpath.JSONPathError, RecursionError) as error:
        why = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InvalidInput(
            f"jsonpath: invalid JSONPath {expression!r}: {why}", field="jsonpath"
        ) from None


class JsonPathMatcher:
    """A JSONPath expression (RFC 9535, with `python-jsonpath`_) and a condition on the
    first value it selects (:data:`~.values.MISSING` when it selects none).

    python-jsonpath is chosen over jsonpath-ng for implementing RFC 9535 itself (its
    strict mode refuses everything else), for its precise syntax errors and for the
    standard filter functions, whose regexes can then be time-limited like every other.

    .. _python-jsonpath: https://jg-rp.github.io/python-jsonpath/
    """

    __slots__ = ("budget", "condition", "expression", "path")

    def __init__(self, expression: str, value: Value, timeout: float) -> None:
        self.expression = expression
        self.path, self.budget = compile_jsonpath(expression, timeout)
        self.condition = ValueCondition(value, f"jsonpath.{expression}", timeout)

    def difference(self, subject: MatchSubject) -> Difference | None:
        field = f"jsonpath {self.expression}"
        document = json_of(subject)
        if document is NOT_JSON_BODY:
            return Difference(field, self.condition.description, NOT_JSON)
        self.budget.start()
        try:
            found = self.path.match(document)
        except GaveUp as error:
            return gave_up_difference(field, error, "filter")
        except (RecursionError, jsonpath.JSONPathError):
            return Difference(field, self.condition.description, TOO_DEEP)
        actual: object = MISSING if found is None else found.obj
        problem = self.condition.problem(actual)
        if problem is None:
            return None
        return Difference(field, problem, _cut(shown(actual)))


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_LIMIT else text[:SHOWN_LIMIT] + "..."


# -- json_schema -------------------------------------------------------------------------------


def _no_retrieval(uri: str) -> Any:
    raise NoSuchResource(uri)


_OFFLINE: Final = Registry(retrieve=_no_retrieval)  # type: ignore[call-arg]
"""References resolve within the schema (and the drafts' meta-schemas) only: nothing is
ever fetched, from the network or the disk."""


def _strings_under(schema: object, key: str) -> Iterator[str]:
    """Every string given for ``key`` anywhere in a schema (a superset of keywords)."""
    if isinstance(schema, dict):
        for name, value in schema.items():
            if name == key and isinstance(value, str):
                yield value
            else:
                yield from _strings_under(value, key)
    elif isinstance(schema, list):
        for item in schema:
            yield from _strings_under(item, key)


def _keys_under(schema: object, key: str) -> Iterator[str]:
    """The property names of every ``key`` object (``patternProperties``) in a schema."""
    if isinstance(schema, dict):
        for name, value in schema.items():
            if name == key and isinstance(value, Mapping):
                yield from (k for k in value if isinstance(k, str))
            yield from _keys_under(value, key)
    elif isinstance(schema, list):
        for item in schema:
            yield from _keys_under(item, key)


def _validator_class(
    schema: Mapping[str, Any], patterns: dict[str, Pattern], budget: RegexBudget
) -> type[Validator]:
    """The draft ``$schema`` names (2020-12 by default), with ``pattern`` time-limited
    (``patterns``: the schema's regexes, compiled, by source)."""
    draft = validators.validator_for(schema, default=None)  # type: ignore[arg-type]
    if draft is None:
        if "$schema" in schema:
            raise InvalidInput(
                f"json_schema: unknown $schema {schema['$schema']!r}: use a JSON Schema "
                "draft (4, 6, 7, 2019-09 or 2020-12), or leave $schema out for 2020-12",
                field="json_schema",
            )
        draft = validators.Draft202012Validator

    def pattern(validator: Validator, source: str, instance: object, _: object) -> Any:
        if not isinstance(instance, str):
            return
        compiled = patterns.get(source)
        if compiled is None:
            compiled = patterns[source] = Pattern(source, "json_schema", budget.timeout)
        if not budget.run(compiled.search, compiled, instance):
            yield schema_exceptions.ValidationError(f"{instance!r} does not match {source!r}")

    extended: type[Validator] = validators.extend(draft, {"pattern": pattern})  # type: ignore[no-untyped-call]
    return extended


def compile_schema(schema: dict[str, Any], budget: RegexBudget) -> Validator:
    """A validator of ``schema``, checked against its draft's meta-schema; InvalidInput
    naming ``json_schema`` for a schema that is invalid, fetches references or whose
    regexes cannot be bounded in time."""
    patterns: dict[str, Pattern] = {}
    cls = _validator_class(schema, patterns, budget)
    try:
        cls.check_schema(schema)
    except schema_exceptions.SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "the schema"
        raise InvalidInput(
            f"json_schema: invalid schema at {where}: {error.message}", field="json_schema"
        ) from None
    for reference in _strings_under(schema, "$ref"):
        if urlsplit(reference).scheme in ("http", "https", "file", "ftp"):
            raise InvalidInput(
                f"json_schema: $ref {reference!r} would be fetched: the server fetches "
                "nothing; put the schema it names under $defs and refer to it there",
                field="json_schema",
            )
    for source in _keys_under(schema, "patternProperties"):
        try:
            parsed = _patterns.sre_parse.parse(source)  # type: ignore[attr-defined]
        except re.error as error:
            raise InvalidInput(
                f"json_schema: invalid patternProperties regex {source!r}: {error}",
                field="json_schema",
            ) from None
        if not _patterns.linear(parsed):
            raise InvalidInput(
                f"json_schema: the patternProperties regex {source!r} could take unbounded "
                "time: use a simpler one, or propertyNames with a pattern (time-limited)",
                field="json_schema",
            )
    for source in _strings_under(schema, "pattern"):
        with contextlib.suppress(InvalidInput):  # a value that is no keyword's ("const")
            patterns[source] = Pattern(source, "json_schema", budget.timeout)
    return cls(schema, registry=_OFFLINE)


class JsonSchemaMatcher:
    """The body parsed as JSON is valid against a JSON Schema (`jsonschema`_; the draft
    its ``$schema`` names, 2020-12 by default; ``format`` is an annotation only).

    .. _jsonschema: https://python-jsonschema.readthedocs.io/
    """

    __slots__ = ("budget", "validator")

    def __init__(self, schema: dict[str, Any], timeout: float) -> None:
        self.budget = RegexBudget(timeout)
        self.validator = compile_schema(schema, self.budget)

    def difference(self, subject: MatchSubject) -> Difference | None:
        document = json_of(subject)
        if document is NOT_JSON_BODY:
            return Difference("json schema", "a JSON body valid against the schema", NOT_JSON)
        self.budget.start()
        try:
            errors = self.validator.iter_errors(document)  # type: ignore[arg-type]
            error = schema_exceptions.best_match(errors)
        except GaveUp as gave_up:
            return gave_up_difference("json schema", gave_up, "schema")
        except RecursionError:
            return Difference("json schema", "a JSON body valid against the schema", TOO_DEEP)
        except Unresolvable as unresolved:
            return Difference(
                "json schema", f"a schema whose references resolve ({unresolved})", "(not checked)"
            )
        if error is None:
            return None
        path = "$" + "".join(
            f"[{part}]" if isinstance(part, int) else member_path("", part)
            for part in error.absolute_path
        )
        return Difference(
            "json schema", _cut(error.message), f"{path}: {shown_json(error.instance)}"
        )
