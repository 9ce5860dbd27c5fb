"""The direct renderer (core/direct_templates.py) against Jinja2's sandbox: for any template
within its grammar (request lookups and helper calls) or just outside it, any request and
any size limit, both give the same text, having called the counter as often, or fail with
the same message. (A render that fails for its size after a helper call may have called the
counter twice: the direct renderer made the call before handing the render to the sandbox.)"""

from __future__ import annotations

import datetime
import itertools
import json
import random
import re
import types
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pretenders.server.core import templating
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.core.templating import (
    CompiledTemplate,
    RenderError,
    RequestView,
    TemplateContext,
    compile_template,
)

NAMES = ["q", "a", "id", "X-A", "x-a", "Content-Type", "items", "get", "keys", "0", "a b", ""]
"""Keys of the request's mappings, and the names templates look up: some present, some
differing only in case, some that are also a mapping's methods."""

LONG = 60.0
"""Seconds a render may take here."""

RULE = MatchRule(spec=RuleSpec(rule=r"(?P<verb>[A-Z]+) /(\w*)", path="/{kind}/{id}"))
"""A rule with a path template (path parameters) and a regex with groups, one named."""

# -- requests ------------------------------------------------------------------------------

text = st.text(st.sampled_from("ab Zé%/&=;\"'\\\n{}"), max_size=6)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def records(draw: st.DrawFn) -> RequestRecord:
    """A request: method, path (one or more segments), query, headers and a body that is
    JSON, a form, text or not UTF-8."""
    segments = draw(st.lists(st.sampled_from(["orders", "7", "a b", "x%2Fy", ""]), max_size=3))
    query = draw(st.lists(st.tuples(st.sampled_from(NAMES), text), max_size=3))
    url = "/" + "/".join(quote(s, safe="%") for s in segments)
    if query:
        url += "?" + urlencode(query)
    headers = draw(st.lists(st.tuples(st.sampled_from(NAMES[2:7]), text), max_size=3))
    kind = draw(st.sampled_from(["json", "form", "text", "bytes"]))
    if kind == "json":
        body = json.dumps(draw(json_values)).encode()
    elif kind == "form":
        form = draw(st.lists(st.tuples(st.sampled_from(NAMES), text), max_size=3))
        body = urlencode(form).encode()
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    elif kind == "text":
        body = draw(text).encode()
    else:
        body = b"\xff\xfe" + draw(text).encode()
    if draw(st.booleans()):
        headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in query if k and v.isalnum())))
    method = draw(st.sampled_from(["GET", "POST", "delete"]))
    return RequestRecord(method=method, url=url, headers=tuple(headers), body=body, time=0.0)


@dataclass(frozen=True)
class Case:
    record: RequestRecord
    rule: MatchRule | None
    limit: int


cases = st.builds(
    Case,
    records(),
    st.sampled_from([None, RULE]),
    st.sampled_from([templating.DEFAULT_LIMIT, 2000, 40, 8, 0]),
)

# -- templates -----------------------------------------------------------------------------

literal = st.text(st.sampled_from("ab \n-%#é"), max_size=4)
"""Text between the outputs: no braces, so that it never opens a tag."""
key = st.sampled_from(NAMES) | st.sampled_from(["_cache", "__class__", "lower", "json"])
step = (
    key.filter(str.isidentifier).map(lambda k: f".{k}")
    | key.map(lambda k: f"[{k!r}]")
    | st.integers(0, 3).map(lambda n: f"[{n}]")
    | st.just(".1")
    | st.just("[true]")
)
lookups = st.builds(
    lambda first, steps: f"request.{first}{''.join(steps)}",
    st.sampled_from(sorted(RequestView.PUBLIC)),
    st.lists(step, max_size=3),
)
helper_calls = st.sampled_from(
    [
        "now()",
        "now('iso')",
        "now('epoch')",
        "now('epoch_ms')",
        "now('%Y-%m-%d %H:%M')",
        "now('%c%c%c%c%c%c')",
        "now('iso', 90)",
        "now('epoch', 1.5)",
        "now(3)",
        "now(2.5)",
        "now('iso', 1e300)",
        "now('" + "%Y" * 101 + "')",
        "now('iso', 100000000000000000000000000000)",
        "uuid()",
        "counter()",
        "random_int()",
        "random_int(1, 6)",
        "random_int(6, 1)",
        "random_int(0, 1000)",
        "random_int(1, 'x')",
        "random_int(0, 1000000000000000000000000000000)",
        "random_string()",
    ]
)
"""Helper calls with constant arguments, which the direct renderer makes: some refused by
the helper, some by the sandbox's bounds on arguments and results."""
outside = st.sampled_from(
    [
        "request",
        "request.path | upper",
        "request.query.q ~ '!'",
        "request.json[-1]",
        "request.query[request.method]",
        "request.items",
        "request._subject",
        "'lit'",
        "uuid",
        "now(fmt='iso')",
        "random_string(4)",
        "random_int('a')",
        "jsonpath('$.a')",
        "counter() + 1",
        "now('%Y' * 2)",
        "now('iso', 10 ** 30)",
        "now('epoch', -1.5)",
    ]
)
"""Outputs just outside the direct renderer's grammar: the sandbox renders these."""


def _templates(expression: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    output = st.builds(
        lambda open_, inner, close: f"{{{{{open_} {inner} {close}}}}}",
        st.sampled_from(["", "-"]),
        expression,
        st.sampled_from(["", "-"]),
    )
    pieces = st.lists(st.tuples(literal, output), min_size=1, max_size=4)
    return st.builds(lambda parts, tail: "".join(a + b for a, b in parts) + tail, pieces, literal)


within = _templates(lookups | helper_calls)
near = _templates(lookups | helper_calls | outside) | _templates(lookups).map(
    lambda t: "{% if request.method %}" + t + "{% endif %}"
)

# -- rendering -----------------------------------------------------------------------------

_MOMENT = datetime.datetime(2026, 5, 4, 3, 2, 1, tzinfo=datetime.timezone.utc)


class _FrozenDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> _FrozenDatetime:  # type: ignore[override]
        return cls.fromtimestamp(_MOMENT.timestamp(), tz)


@contextmanager
def _repeatable() -> Iterator[None]:
    """The helpers made repeatable: a frozen clock, seeded draws, numbered UUIDs."""
    numbers = itertools.count()
    clock = types.SimpleNamespace(
        datetime=_FrozenDatetime, timezone=datetime.timezone, timedelta=datetime.timedelta
    )
    ids = types.SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(numbers)))
    with (
        mock.patch.object(templating, "datetime", clock),
        mock.patch.object(templating, "random", random.Random(7)),
        mock.patch.object(templating, "uuid_module", ids),
    ):
        yield


def _render(compiled: CompiledTemplate, case: Case) -> tuple[tuple[str, str], int]:
    """The outcome (``("text", ...)`` or ``("error", message)``) and the counter's calls."""
    calls = itertools.count(1)
    # The time bound is not what is compared: generous, so that a loaded machine is no failure.
    context = TemplateContext(
        MatchSubject(case.record),
        case.rule,
        counter=calls.__next__,
        limit=case.limit,
        timeout=LONG,
    )
    with _repeatable():
        try:
            outcome = ("text", _ADDRESS.sub("at 0x…", compiled.render(context)))
        except RenderError as error:
            outcome = ("error", str(error))
    return outcome, next(calls) - 1


_ADDRESS = re.compile(r"at 0x[0-9a-f]+")
"""Where an object printed as itself (``{{ request.headers }}``) is: the two renders have
a request view each."""


def _same_either_way(source: str, case: Case) -> CompiledTemplate:
    compiled = compile_template(source, "body")
    sandboxed = CompiledTemplate(compiled.source, compiled.template, None)
    direct, by_sandbox = _render(compiled, case), _render(sandboxed, case)
    assert direct[0] == by_sandbox[0], source
    if direct[0][0] == "text":
        assert direct[1] == by_sandbox[1], f"{source}: the counter called as often"
    return compiled


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _plain(limit: int, body: bytes = b"") -> Case:
    return Case(RequestRecord("GET", "/", (), body, 0.0), None, limit)


@_SETTINGS
@given(within, cases)
@example("{{ request.headers[0] }}", _plain(99))  # a mapping's own error: the sandbox's words
@example("{{ request.query.q.q }}", _plain(99))  # a lookup in nothing: an error, not ""
@example("{{ now(3) }}", _plain(99))  # the helper's error, worded as the sandbox words it
@example("{{ now('iso', 1e300) }}", _plain(99))
@example("{{ random_int(0, 1000) }}", _plain(40))  # an argument past the limit
@example("{{ request.body }}{{ counter() }}", _plain(40, b"x" * 50))  # over: no call made
def test_a_template_within_the_grammar_renders_as_the_sandbox_renders_it(
    source: str, case: Case
) -> None:
    compiled = _same_either_way(source, case)
    assert compiled.direct is not None, f"{source} is within the direct renderer's grammar"


@_SETTINGS
@given(near, cases)
def test_a_template_near_the_grammar_renders_as_the_sandbox_renders_it(
    source: str, case: Case
) -> None:
    _same_either_way(source, case)
