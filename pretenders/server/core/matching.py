"""Match rules: small matcher objects, compiled once when a preset is added.

Each matcher answers ``difference(subject)``: None when its part of the request matches,
otherwise a :class:`Difference` saying what it expected and what it got. A rule matches
when none of its matchers finds a difference, so an explanation of a miss always agrees
with the matching itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol
from urllib.parse import parse_qsl

from pretenders.server.core.multipart import Part, is_multipart_form, read_parts
from pretenders.server.core.patterns import DEFAULT_TIMEOUT, GaveUp, Pattern, milliseconds
from pretenders.server.core.records import Difference, RequestRecord
from pretenders.server.core.rule_spec import RuleSpec

ABSENT = "(absent)"
NOT_TEXT = "(a body that is not UTF-8 text)"
NO_FORM = "(no form could be read from the body)"
NOT_JSON = "(a body that is not JSON)"
TOO_DEEP = "(JSON too deep or too large to compare)"
NOT_MULTIPART = "(not a multipart body)"
NOT_XML = "(a body that is not well-formed XML"
"""The start of what a near miss says of a body that is not XML (the reason follows)."""
DESCRIPTIONS = frozenset({ABSENT, NOT_TEXT, NO_FORM, NOT_JSON, TOO_DEEP, NOT_MULTIPART})


def is_description(actual: str) -> bool:
    """Whether a difference's ``actual`` describes what was sent instead of quoting it."""
    return actual in DESCRIPTIONS or actual.startswith(NOT_XML)


"""``actual`` values that describe what was sent instead of quoting it."""


class MatchSubject:
    """A request seen by the matchers, with the derived views computed at most once."""

    __slots__ = (
        "_form",
        "_headers",
        "_text",
        "gave_up",
        "record",
        "rule_line",
        "views",
    )

    _UNSET: object = object()

    def __init__(self, record: RequestRecord) -> None:
        self.record = record
        self.rule_line = record.rule_line
        self._headers: dict[str, list[str]] | None = None
        self._text: object = self._UNSET
        self._form: object = self._UNSET
        self.gave_up: dict[Pattern, Difference] | None = None
        """The patterns that gave up on this request, so that none is run twice on it."""
        self.views: dict[str, object] | None = None
        """Other views of the request (its query, cookies, JSON or XML body...), each made
        once, when a matcher first asks for it (see :meth:`view`)."""

    def view(self, name: str, make: Callable[[RequestRecord], object]) -> object:
        """The view ``name`` of this request, made with ``make(record)`` the first time."""
        views = self.views
        if views is None:
            views = self.views = {}
        elif name in views:
            return views[name]
        made = views[name] = make(self.record)
        return made

    def note_gave_up(self, pattern: Pattern, field: str) -> Difference:
        """Remember that ``pattern`` gave up on this request; the difference to report."""
        actual = f"(the regular expression gave up after {milliseconds(pattern.timeout)})"
        difference = Difference(field, pattern.source, actual, gave_up=True)
        if self.gave_up is None:
            self.gave_up = {}
        self.gave_up[pattern] = difference
        return difference

    def header_values(self, lower_name: str) -> list[str]:
        """All values sent for a header, by lower-case name."""
        if self._headers is None:
            headers: dict[str, list[str]] = {}
            for name, value in self.record.headers:
                headers.setdefault(name.lower(), []).append(value)
            self._headers = headers
        return self._headers.get(lower_name, [])

    @property
    def text(self) -> str | None:
        """The body decoded as UTF-8, or None for a body that is not text."""
        if self._text is self._UNSET:
            try:
                self._text = self.record.body.decode("utf-8")
            except UnicodeDecodeError:
                self._text = None
        return self._text  # type: ignore[return-value]

    @property
    def form(self) -> dict[str, str] | None:
        """The posted form (multipart or urlencoded), or None when it cannot be read."""
        if self._form is self._UNSET:
            content_types = self.header_values("content-type")
            if content_types and is_multipart_form(content_types[0]):
                parts = self.parts  # read once, shared with the parts conditions
                self._form = form_of(parts) if parts is not None else None
            else:
                self._form = parse_form(self.record.body, content_types)
        return self._form  # type: ignore[return-value]

    @property
    def parts(self) -> list[Part] | None:
        """The parts of a ``multipart/form-data`` body, read once; None for any other body."""
        content_types = self.header_values("content-type")
        content_type = content_types[0] if content_types else ""
        if not is_multipart_form(content_type):
            return None
        return self.view("multipart", lambda record: read_parts(record.body, content_type))  # type: ignore[return-value]


class Matcher(Protocol):
    """One part of a match rule."""

    def difference(self, subject: MatchSubject) -> Difference | None: ...


class RuleMatcher:
    """``re.match`` of the rule regex against ``"METHOD /path?query"``."""

    __slots__ = ("pattern", "regex")

    def __init__(self, pattern: str, field: str = "rule", timeout: float = DEFAULT_TIMEOUT) -> None:
        self.pattern = pattern
        self.regex = Pattern(pattern, field, timeout, line=True)

    def difference(self, subject: MatchSubject) -> Difference | None:
        gave_up = subject.gave_up
        if gave_up is not None and self.regex in gave_up:
            return gave_up[self.regex]
        line = subject.rule_line
        try:
            if self.regex.match(line):
                return None
        except GaveUp:
            return subject.note_gave_up(self.regex, "rule")
        return Difference("rule", self.pattern, line)


class HeaderMatcher:
    """A header that must be present with this value (name compared case-insensitively)."""

    __slots__ = ("lower_name", "name", "value")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.lower_name = name.lower()
        self.value = value

    def difference(self, subject: MatchSubject) -> Difference | None:
        values = subject.header_values(self.lower_name)
        if self.value in values or (len(values) > 1 and ", ".join(values) == self.value):
            return None
        actual = ", ".join(values) if values else ABSENT
        return Difference(f"header {self.name}", self.value, actual)


class BodyMatcher:
    """``re.match`` of a regex against the body decoded as text; a binary body is a miss."""

    __slots__ = ("pattern", "regex")

    def __init__(self, pattern: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.pattern = pattern
        self.regex = Pattern(pattern, "rule.body", timeout)

    def difference(self, subject: MatchSubject) -> Difference | None:
        gave_up = subject.gave_up
        if gave_up is not None and self.regex in gave_up:
            return gave_up[self.regex]
        text = subject.text
        try:
            if text is not None and self.regex.match(text):
                return None
        except GaveUp:
            return subject.note_gave_up(self.regex, "body")
        actual = _preview(text) if text is not None else NOT_TEXT
        return Difference("body", self.pattern, actual)


class FormMatcher:
    """The posted form fields must equal these, exactly."""

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)

    def difference(self, subject: MatchSubject) -> Difference | None:
        form = subject.form
        if form == self.fields:
            return None
        actual = repr(form) if form is not None else NO_FORM
        return Difference("data", repr(self.fields), actual)


class MatchRule:
    """The request side of a preset: a rule regex plus optional headers, body or form data
    (1.4), and any of the fields of :class:`RuleSpec`, compiled once."""

    __slots__ = ("body", "data", "headers", "matchers", "prefix", "rule", "spec")

    def __init__(
        self,
        rule: str = "",
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        spec: RuleSpec | None = None,
    ) -> None:
        """``timeout``: seconds one evaluation of a regex of the rule may take. Given a
        ``spec``, the 1.4 arguments are ignored and every field of the spec is compiled."""
        if spec is None:
            spec = RuleSpec(
                rule, dict(headers) if headers else None, body, dict(data) if data else None
            )
        self.spec = spec
        """The rule as plain data, to store or quote."""
        self.rule = spec.rule or ""
        self.headers = {
            name: _text(value)
            for name, value in (spec.headers or {}).items()
            if isinstance(value, (str, int, float))
        }
        """The 1.4 headers: exact values."""
        self.body = spec.body
        self.data = {k: _text(v) for k, v in spec.data.items()} if spec.data else None
        self.matchers: Sequence[Matcher] = tuple(compile_rule(spec, timeout))
        self.prefix = rule_prefix(spec)
        """Text every request line this rule matches starts with (see preset_index)."""

    @classmethod
    def of(cls, spec: RuleSpec, timeout: float = DEFAULT_TIMEOUT) -> MatchRule:
        """The rule ``spec`` describes, compiled."""
        return cls(timeout=timeout, spec=spec)

    @property
    def patterns(self) -> list[Pattern]:
        """The rule's regexes: the rule's own, and the body's if it has one."""
        return [m.regex for m in self.matchers if isinstance(m, (RuleMatcher, BodyMatcher))]

    def matches(self, subject: MatchSubject) -> bool:
        """True when no matcher finds a difference."""
        for matcher in self.matchers:  # noqa: SIM110  # a loop: no generator per request
            if matcher.difference(subject) is not None:
                return False
        return True

    def differences(self, subject: MatchSubject) -> list[Difference]:
        """Every part of the request that does not match this rule."""
        found = (matcher.difference(subject) for matcher in self.matchers)
        return [difference for difference in found if difference is not None]


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def compile_1_4(spec: RuleSpec, timeout: float) -> list[Matcher]:
    """The matchers of 1.4's fields: rule regex, exact headers, form data or body regex."""
    matchers: list[Matcher] = [RuleMatcher(spec.rule or "", "rule.rule", timeout)]
    matchers.extend(
        HeaderMatcher(name, _text(value))
        for name, value in (spec.headers or {}).items()
        if isinstance(value, (str, int, float))
    )
    if spec.data:
        # Form data replaces the body rule: both describe the same bytes.
        matchers.append(FormMatcher({k: _text(v) for k, v in spec.data.items()}))
    elif spec.body:
        matchers.append(BodyMatcher(spec.body, timeout))
    return matchers


def compile_rule(spec: RuleSpec, timeout: float) -> list[Matcher]:
    """Every matcher of ``spec``: 1.4's, then one per other field given."""
    from pretenders.server.core.rule_fields import compile_fields  # they build on this module

    return compile_1_4(spec, timeout) + compile_fields(spec, timeout)


def rule_prefix(spec: RuleSpec) -> str:
    """The text every request line ``spec`` matches starts with ("" if none is known)."""
    from pretenders.server.core.preset_index import literal_prefix

    prefix = literal_prefix(spec.rule or "")
    if prefix or spec.method is None or spec.not_ is not None:
        return prefix
    method = spec.method.upper()
    if spec.path is None:
        return method + " "
    literal = []
    for character in spec.path:
        if character not in _SENT_AS_IS:  # "{" (a parameter) or a character sent encoded
            break
        literal.append(character)
    return f"{method} {''.join(literal)}"


_SENT_AS_IS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/!$&'()*+,;=:@"
)


def parse_form(body: bytes, content_types: Sequence[str]) -> dict[str, str] | None:
    """Read form fields from a multipart or urlencoded body; None when it is neither."""
    content_type = content_types[0] if content_types else ""
    if is_multipart_form(content_type):
        parts = read_parts(body, content_type)
        return form_of(parts) if parts is not None else None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return dict(parse_qsl(text, keep_blank_values=True))


def form_of(parts: list[Part]) -> dict[str, str]:
    """The form fields of a multipart body's parts: each named part's content as text."""
    return {
        part.name: _decode(part.content, part.charset or "utf-8")
        for part in parts
        if part.name is not None
    }


def _decode(payload: bytes, charset: str) -> str:
    """A form field's text; a charset Python cannot decode text with counts as UTF-8."""
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, UnicodeError):  # unknown ("nope"), not text ("rot13"), strict ("idna")
        return payload.decode("utf-8", errors="replace")


def _preview(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
