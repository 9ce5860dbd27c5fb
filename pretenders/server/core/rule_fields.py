"""Matchers of the rule fields past 1.4: method, path templates, query, header and cookie
conditions, and ``all`` / ``any`` / ``not``; the body fields come from their own modules
(:mod:`.json_fields`, :mod:`.xml_fields`, :mod:`.part_fields`).

Each matcher is built once from a :class:`RuleSpec` and answers
``difference(subject)`` like 1.4's (see :mod:`.matching`). Views of the request they
share (the query, the cookies) are made once per request, when first asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, unquote

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import Matcher, MatchSubject, compile_rule
from pretenders.server.core.patterns import DEFAULT_TIMEOUT
from pretenders.server.core.records import Difference, RequestRecord
from pretenders.server.core.rule_spec import RuleSpec, Value, ValueSpec
from pretenders.server.core.values import MISSING, ValueCondition, shown

Compiler = Callable[[RuleSpec, float], list[Matcher]]


def compile_fields(spec: RuleSpec, timeout: float = DEFAULT_TIMEOUT) -> list[Matcher]:
    """The matchers of every field of ``spec`` past 1.4's, in the order of the fields."""
    from pretenders.server.core import json_fields, part_fields, xml_fields

    matchers: list[Matcher] = []
    if spec.method is not None:
        matchers.append(MethodMatcher(spec.method))
    if spec.path is not None:
        matchers.append(PathMatcher(spec.path, spec.path_params, timeout))
    elif spec.path_params:
        raise InvalidInput("path_params needs a path template (path)", field="path_params")
    for name, condition in (spec.query or {}).items():
        matchers.append(QueryMatcher(name, condition, timeout))
    for name, value in (spec.headers or {}).items():
        if isinstance(value, ValueSpec):
            matchers.append(HeaderCondition(name, value, timeout))
    for name, value in (spec.cookies or {}).items():
        matchers.append(CookieMatcher(name, value, timeout))
    if spec.host is not None:
        matchers.append(HostMatcher(spec.host, timeout))
    if spec.client_cert is not None:
        matchers.append(ClientCertMatcher(spec.client_cert, timeout))
    for module in (json_fields, xml_fields, part_fields):
        matchers.extend(module.compile_fields(spec, timeout))
    for number, part in enumerate(spec.all or ()):
        matchers.append(AllOf(f"all[{number}]", compile_rule(part, timeout)))
    if spec.any:
        matchers.append(AnyOf([compile_rule(part, timeout) for part in spec.any]))
    if spec.not_ is not None:
        matchers.append(NotOf(spec.not_, compile_rule(spec.not_, timeout)))
    return matchers


class MethodMatcher:
    """The method, exactly (case-insensitive)."""

    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        if not method or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", method):
            raise InvalidInput(f"method {method!r} is not an HTTP method token", field="method")
        self.method = method.upper()

    def difference(self, subject: MatchSubject) -> Difference | None:
        actual = subject.record.method
        return None if actual.upper() == self.method else Difference("method", self.method, actual)


_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\*?)\}")


class PathTemplate:
    """``/users/{id}/orders/{rest*}``: literal segments, one-segment and rest parameters."""

    __slots__ = ("literal", "names", "regex", "template")

    def __init__(self, template: str) -> None:
        if not template.startswith("/"):
            raise InvalidInput(f"path {template!r} must start with /", field="path")
        self.template = template
        pattern = []
        names: list[str] = []
        position = 0
        for found in _PARAMETER.finditer(template):
            literal = template[position : found.start()]
            if "{" in literal or "}" in literal:
                raise InvalidInput(
                    f"path {template!r}: a parameter is written {{name}} or {{name*}}",
                    field="path",
                )
            pattern.append(re.escape(literal))
            name, rest = found.group(1), found.group(2)
            if name in names:
                raise InvalidInput(f"path {template!r}: parameter {name} twice", field="path")
            names.append(name)
            pattern.append(f"(?P<{name}>.*)" if rest else f"(?P<{name}>[^/]+)")
            position = found.end()
        tail = template[position:]
        if "{" in tail or "}" in tail:
            raise InvalidInput(
                f"path {template!r}: a parameter is written {{name}} or {{name*}}", field="path"
            )
        pattern.append(re.escape(tail))
        self.names = tuple(names)
        self.regex = re.compile("".join(pattern) + r"\Z")
        self.literal = template if not names else None
        """The whole template, when it has no parameters: a path fits by being equal."""

    def parameters(self, path: str) -> dict[str, str] | None:
        """The parameters of ``path`` (decoded), or None when it does not fit."""
        if self.literal is not None:
            return {} if path == self.literal else None
        found = self.regex.match(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


def request_path(record: RequestRecord) -> str:
    """The path below the mock, without the query, as sent (percent-encoded)."""
    return record.url.split("?", 1)[0]


class PathMatcher:
    """A path template, and conditions on its parameters."""

    __slots__ = ("conditions", "template")

    def __init__(self, template: str, conditions: dict[str, Value] | None, timeout: float) -> None:
        self.template = PathTemplate(template)
        self.conditions = {}
        for name, value in (conditions or {}).items():
            if name not in self.template.names:
                raise InvalidInput(
                    f"path_params: {name!r} is not a parameter of {template!r}",
                    field="path_params",
                )
            self.conditions[name] = ValueCondition(value, f"path_params.{name}", timeout)

    def difference(self, subject: MatchSubject) -> Difference | None:
        path = request_path(subject.record)
        if "%" in path and "%2F" not in path:
            path = unquote(path)
        parameters = self.template.parameters(path)
        if parameters is None:
            return Difference("path", self.template.template, path)
        for name, condition in self.conditions.items():
            problem = condition.problem(parameters[name])
            if problem is not None:
                return Difference(f"path parameter {name}", problem, parameters[name])
        return None


def query_of(record: RequestRecord) -> dict[str, list[str]]:
    """The query parameters of a request, by name, each with its values in order."""
    _, _, query = record.url.partition("?")
    found: dict[str, list[str]] = {}
    if "%" in query or "+" in query:
        pairs = parse_qsl(query, keep_blank_values=True)
    else:  # nothing to decode: parse_qsl's result, for a fraction of its cost
        pairs = [pair.partition("=")[::2] for pair in query.split("&") if pair]
    for name, value in pairs:
        found.setdefault(name, []).append(value)
    return found


class QueryMatcher:
    """A query parameter: one condition (on any of its values), or a list of conditions,
    each met by one of its values."""

    __slots__ = ("conditions", "name")

    def __init__(self, name: str, condition: Value | list[Value], timeout: float) -> None:
        self.name = name
        given = condition if isinstance(condition, list) else [condition]
        if not given:
            raise InvalidInput(f"query.{name}: an empty list of conditions", field="query")
        self.conditions = [ValueCondition(c, f"query.{name}", timeout) for c in given]

    def difference(self, subject: MatchSubject) -> Difference | None:
        values: list[str] = subject.view("query", query_of).get(self.name, [])  # type: ignore[attr-defined]
        for condition in self.conditions:
            if not values:
                if condition.holds(MISSING):
                    continue
                return Difference(f"query {self.name}", condition.description, "(absent)")
            if condition.equals_text is not None and condition.equals_text in values:
                continue
            if not any(condition.holds(value) for value in values):
                problem = condition.problem(values[0]) or condition.description
                return Difference(f"query {self.name}", problem, ", ".join(values))
        return None


class HeaderCondition:
    """A header with a value condition (regex, contains, absent...), any of its values."""

    __slots__ = ("condition", "lower_name", "name")

    def __init__(self, name: str, value: ValueSpec, timeout: float) -> None:
        self.name = name
        self.lower_name = name.lower()
        self.condition = ValueCondition(value, f"headers.{name}", timeout)

    def difference(self, subject: MatchSubject) -> Difference | None:
        values = subject.header_values(self.lower_name)
        if not values:
            if self.condition.holds(MISSING):
                return None
            return Difference(f"header {self.name}", self.condition.description, "(absent)")
        joined = ", ".join(values)
        if any(self.condition.holds(v) for v in values) or self.condition.holds(joined):
            return None
        return Difference(f"header {self.name}", self.condition.description, joined)


def cookies_of(subject: MatchSubject) -> dict[str, str]:
    """The cookies a request sent (every Cookie header), by name."""
    cookies: dict[str, str] = {}
    for header in subject.header_values("cookie"):
        for pair in header.split(";"):
            name, sep, value = pair.strip().partition("=")
            if sep and name:
                cookies.setdefault(name, _unquoted_cookie(value.strip()))
    return cookies


def _unquoted_cookie(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            parsed = SimpleCookie(f"x={value}")
        except CookieError:
            return value
        morsel = parsed.get("x")
        return morsel.value if morsel is not None else value
    return value


class CookieMatcher:
    """A cookie by name, with a condition on its value."""

    __slots__ = ("condition", "name")

    def __init__(self, name: str, value: Value, timeout: float) -> None:
        self.name = name
        self.condition = ValueCondition(value, f"cookies.{name}", timeout)

    def difference(self, subject: MatchSubject) -> Difference | None:
        cookies: dict[str, str] = subject.view("cookies", lambda _: cookies_of(subject))  # type: ignore[assignment]
        actual: Any = cookies.get(self.name, MISSING)
        problem = self.condition.problem(actual)
        if problem is None:
            return None
        return Difference(f"cookie {self.name}", problem, shown(actual))


def host_of(subject: MatchSubject) -> str | None:
    """The host name a request is for: ``Host`` without its port, lowercased, else the
    name asked for in the TLS handshake; None when neither was sent."""
    values = subject.header_values("host")
    if not values:
        name = subject.record.server_name
        return name.lower() if name else None
    host = values[0].strip().lower()
    if host.startswith("["):  # [::1]:8080
        end = host.find("]")
        return host[1:end] if end > 0 else host
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() and ":" not in name else host


class HostMatcher:
    """The host name the request is for (``Host`` without the port, or SNI)."""

    __slots__ = ("condition",)

    def __init__(self, value: Value, timeout: float) -> None:
        self.condition = ValueCondition(value, "host", timeout)

    def difference(self, subject: MatchSubject) -> Difference | None:
        host = host_of(subject)
        actual: Any = MISSING if host is None else host
        problem = self.condition.problem(actual)
        return None if problem is None else Difference("host", problem, shown(actual))


class ClientCertMatcher:
    """The subject of the client's TLS certificate."""

    __slots__ = ("condition",)

    def __init__(self, value: Value, timeout: float) -> None:
        self.condition = ValueCondition(value, "client_cert", timeout)

    def difference(self, subject: MatchSubject) -> Difference | None:
        presented = subject.record.client_cert
        actual: Any = MISSING if presented is None else presented
        problem = self.condition.problem(actual)
        return None if problem is None else Difference("client cert", problem, shown(actual))


class AllOf:
    """Every matcher of a nested rule (``all``)."""

    __slots__ = ("label", "matchers")

    def __init__(self, label: str, matchers: list[Matcher]) -> None:
        self.label = label
        self.matchers = matchers

    def difference(self, subject: MatchSubject) -> Difference | None:
        for matcher in self.matchers:
            difference = matcher.difference(subject)
            if difference is not None:
                return Difference(
                    f"{self.label}: {difference.field}",
                    difference.expected,
                    difference.actual,
                    difference.gave_up,
                )
        return None


class AnyOf:
    """At least one of several nested rules (``any``)."""

    __slots__ = ("rules",)

    def __init__(self, rules: list[list[Matcher]]) -> None:
        self.rules = rules

    def difference(self, subject: MatchSubject) -> Difference | None:
        first: Difference | None = None
        for rule in self.rules:
            missed = next((d for m in rule if (d := m.difference(subject)) is not None), None)
            if missed is None:
                return None
            first = first or missed
        assert first is not None
        return Difference(
            f"any: {first.field}",
            f"one of {len(self.rules)} rules; first: {first.expected}",
            first.actual,
        )


class NotOf:
    """A nested rule that must not match (``not``)."""

    __slots__ = ("matchers", "spec")

    def __init__(self, spec: RuleSpec, matchers: list[Matcher]) -> None:
        self.spec = spec
        self.matchers = matchers

    def difference(self, subject: MatchSubject) -> Difference | None:
        if any(m.difference(subject) is not None for m in self.matchers):
            return None
        return Difference("not", "a request this rule does not match", "a request it matches")
