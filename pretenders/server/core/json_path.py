"""``jsonpath`` rules: RFC 9535 expressions (python-jsonpath), each with a value condition
on the first value it selects."""

from __future__ import annotations

from typing import Any

import jsonpath
from jsonpath.function_extensions import ExpressionType, FilterFunction

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.json_fields import (
    NOT_JSON_BODY,
    RegexBudget,
    cut,
    gave_up_difference,
    json_of,
)
from pretenders.server.core.matching import NOT_JSON, TOO_DEEP, MatchSubject
from pretenders.server.core.patterns import GaveUp, Pattern
from pretenders.server.core.records import Difference
from pretenders.server.core.rule_spec import Value
from pretenders.server.core.values import MISSING, ValueCondition, shown


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
        return Difference(field, problem, cut(shown(actual)))
