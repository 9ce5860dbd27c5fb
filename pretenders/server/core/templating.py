"""Templates of replies: Jinja2's sandbox, with the request and a few helpers in reach.

A template is compiled once, when its preset is added (a syntax error is a 400 naming the
field), and rendered per request against a :class:`TemplateContext`. Rendering is
bounded: a render may take :data:`RENDER_TIMEOUT` seconds and produce ``limit``
characters (the server's ``--max-body-size``). The sandbox checks the clock at every
call, loop step and arithmetic operator, and refuses before they are made the operations
that could build a value past the limit (``'x' * 10**9``, ``'%999999999d'``, a width or
a join too large). Attributes of Python's internals (``__class__``, ``mro``, function
globals...) are refused by the sandbox, and lists and dicts cannot be changed.

:func:`render_text` is the public entry point, for any templated text (reply parts,
webhooks): it compiles (cached) and renders in one call.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import random
import re
import string
import sys
import time
import uuid as uuid_module
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pretenders.server.core.direct_templates import DirectTemplate, direct_template
from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.patterns import DEFAULT_TIMEOUT
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.rule_fields import PathMatcher, cookies_of, query_of, request_path

__all__ = [
    "RENDER_TIMEOUT",
    "CompiledTemplate",
    "RenderError",
    "TemplateContext",
    "compile_template",
    "render_text",
]

RENDER_TIMEOUT = 0.5
"""Seconds one render of a reply's templates may take (they run on the event loop)."""
DEFAULT_LIMIT = 16 * 1024 * 1024
"""Characters a render may produce when the caller gives no limit (the default
``--max-body-size``)."""
MAX_SOURCE = 256 * 1024
"""Characters of a template's source (a body template is at most this long)."""
_MAX_INT_BITS = 4096
"""The largest integer arithmetic may make (``2 ** 4096``); past it: a render error."""


class RenderError(Exception):
    """A template failed while rendering: the message says why (sent with a 500)."""


class _Budget:
    """The time and size left to one render."""

    __slots__ = ("deadline", "limit", "timeout")

    def __init__(self, timeout: float, limit: int) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.limit = limit

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderError(f"the template took longer than {self.timeout:g} s to render")

    def size(self, value: object, what: str) -> None:
        """Refuse a value (or the parts of a collection) larger than the limit."""
        if _size(value, self.limit) > self.limit:
            raise RenderError(f"{what} would be larger than {self.limit} characters")


_budget: contextvars.ContextVar[_Budget] = contextvars.ContextVar("pretenders_render_budget")


def _current() -> _Budget:
    budget = _budget.get(None)
    if budget is None:  # called outside a render (not reachable from templates)
        budget = _Budget(RENDER_TIMEOUT, DEFAULT_LIMIT)
    return budget


def _size(value: object, limit: int) -> int:
    """Characters ``value`` holds, its items counted (stops counting past ``limit``)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3
    total = 0
    if isinstance(value, Mapping):
        for key, item in value.items():
            total += 1 + _size(key, limit) + _size(item, limit)
            if total > limit:
                break
    elif isinstance(value, (list, tuple, set, frozenset)):
        total = len(value)
        for item in value:
            total += _size(item, limit)
            if total > limit:
                break
    return total


# -- the sandbox ---------------------------------------------------------------------------


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_WIDTH = re.compile(r"\d+")


def _check_percent_format(text: str, limit: int) -> None:
    for found in _PERCENT_SPEC.finditer(text):
        for number in found.groups():
            if number == "*" or (number and int(number) > limit):
                raise RenderError(f"a format width or precision over {limit} ({text[:50]!r})")


def _check_brace_format(text: str, limit: int) -> None:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise RenderError(f"invalid format string: {error}") from None
    for _, _, spec, _ in parsed:
        if spec and ("{" in spec or any(int(n) > limit for n in _WIDTH.findall(spec))):
            raise RenderError(f"a format width or precision over {limit} ({text[:50]!r})")


def _checked_args(args: Iterable[object], limit: int) -> None:
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > limit:
            raise RenderError(f"a number argument over {limit} ({arg})")


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, every call, loop step and operator on the clock."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//", "/"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, RequestView):  # its properties only, never its innards
            return attr in RequestView.PUBLIC
        return bool(super().is_safe_attribute(obj, attr, value))

    def getattr(self, obj: Any, attribute: str) -> Any:
        # The request's own view, the most read object of a template: its public
        # properties straight away, without the generic checks (anything else refused).
        if type(obj) is RequestView:
            if attribute in RequestView.PUBLIC:
                return getattr(obj, attribute)
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _current()
        budget.check()
        if args or kwargs:
            _checked_args(args, budget.limit)
            _checked_args(kwargs.values(), budget.limit)
            budget.size(args, "the arguments of a call")
        result = super().call(__context, __obj, *args, **kwargs)
        budget.size(result, "the result of a call")
        return result

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        # Refused out loud: an empty value would hide the refusal in the reply.
        raise SecurityError(
            f"access to attribute {attribute!r} of a {type(obj).__name__!r} is unsafe"
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and isinstance(getattr(value, "__self__", None), str):
            _check_brace_format(value.__self__, _current().limit)
        return wrapped

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _current()
        budget.check()
        limit = budget.limit
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, (str, bytes, list, tuple))
                    and isinstance(times, int)
                    and len(seq) * max(times, 0) > limit
                ):
                    raise RenderError(f"a repeated value would be over {limit} characters")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > _MAX_INT_BITS
            ):
                raise RenderError("a product too large")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
                if right > 0 and left.bit_length() * right > _MAX_INT_BITS:
                    raise RenderError("a power too large")
            elif isinstance(left, float) or isinstance(right, float):
                pass  # a float overflows (an error), it never grows
        elif operator == "%":
            if isinstance(left, str):
                _check_percent_format(left, limit)
        elif operator == "+" and _size(left, limit) + _size(right, limit) > limit:
            raise RenderError(f"a sum would be over {limit} characters")
        try:
            return super().call_binop(context, operator, left, right)
        except (ArithmeticError, TypeError, ValueError) as error:
            raise RenderError(f"{type(error).__name__}: {error}") from None


def _bounded_loop(iterable: Any) -> Iterator[Any]:
    """A loop's items, the clock checked at each."""
    budget = _current()
    for item in iterable:
        budget.check()
        yield item


def _bounded_concat(parts: tuple[Any, ...]) -> str:
    """``a ~ b``: refused before the text is built when it would be past the limit."""
    budget = _current()
    texts = [str(part) for part in parts]
    if sum(map(len, texts)) > budget.limit:
        raise RenderError(f"a concatenation would be over {budget.limit} characters")
    return "".join(texts)


def _bounded_range(*args: int) -> Iterator[int]:
    budget = _current()
    _checked_args(args, budget.limit)
    return _bounded_loop(range(*args))


def _wrap_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose arguments and result are checked against the render's bounds."""
    passes_first = getattr(function, "jinja_pass_arg", None) is not None

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget = _current()
        budget.check()
        plain = args[1:] if passes_first else args  # past the environment or context
        _checked_args(plain[1:], budget.limit)
        _checked_args(kwargs.values(), budget.limit)
        budget.size(plain[:1], f"the input of filter {name}")
        if name == "format" and plain and isinstance(plain[0], str):
            _check_percent_format(plain[0], budget.limit)
        elif name == "replace" and len(plain) >= 3:
            text, old, new = (str(part) for part in plain[:3])
            grown = len(text) + (text.count(old) if old else len(text) + 1) * len(new)
            if grown > budget.limit:
                raise RenderError(f"filter replace would make over {budget.limit} characters")
        elif name == "indent" and plain:
            width = plain[1] if len(plain) > 1 else kwargs.get("width", 4)
            lines = str(plain[0]).count("\n") + 1
            if isinstance(width, int) and width * lines > budget.limit:
                raise RenderError(f"filter indent would make over {budget.limit} characters")
        result = function(*args, **kwargs)
        budget.size(result, f"the result of filter {name}")
        return result

    return bounded


_SAFE_FILTERS = (  # noqa: SIM905 - a list of names, as Jinja2's docs give them
    "abs capitalize center count d default dictsort e escape first float format groupby "
    "indent int items join last length list lower map max min reject rejectattr replace "
    "reverse round select selectattr sort string sum title tojson trim truncate unique "
    "upper urlencode wordcount"
).split()
"""Jinja2's filters that templates may use: those that cannot be made to build values of
any size from small input (``wordwrap``, ``slice``, ``urlize``, ``pprint``... are left out)."""


def _transform(template: nodes.Template) -> nodes.Template:
    """Put every loop on the clock and every ``~`` under the size limit."""
    for loop in template.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, "bounded_loop", [], [], None, None, lineno=loop.lineno)
    for concat in list(template.find_all(nodes.Concat)):
        joined = nodes.Filter(
            nodes.Tuple(concat.nodes, "load", lineno=concat.lineno),
            "bounded_concat",
            [],
            [],
            None,
            None,
            lineno=concat.lineno,
        )
        concat.nodes = [joined]
    return template


@functools.cache
def _environment() -> _Sandbox:
    environment = _Sandbox(optimized=False, autoescape=False, keep_trailing_newline=True)
    environment.filters = {name: _wrap_filter(name, FILTERS[name]) for name in _SAFE_FILTERS}
    environment.filters["bounded_loop"] = _bounded_loop
    environment.filters["bounded_concat"] = _bounded_concat
    environment.tests = dict(environment.tests)
    environment.globals = {"range": _bounded_range, "dict": dict}
    return environment


# -- compiling and rendering -------------------------------------------------------------


class CompiledTemplate:
    """A template compiled once; :meth:`render` renders it within the bounds."""

    __slots__ = ("direct", "source", "template")

    def __init__(
        self, source: str, template: jinja2.Template, direct: DirectTemplate | None = None
    ) -> None:
        self.source = source
        self.template = template
        self.direct = direct
        """The same template, rendered without Jinja2's runtime when it only prints
        request values and helper calls (see direct_templates)."""

    def render(self, context: TemplateContext) -> str:
        """The text, or :class:`RenderError` saying why there is none."""
        direct = self.direct
        if direct is not None:
            try:
                text = direct.render(context)
            except RenderError:
                raise
            except Exception as error:  # a helper refusing its input, as below
                raise _failed(error) from None
            if text is not None and len(text) <= context.limit:
                return text
        budget = context.budget()
        token = _budget.set(budget)
        try:
            parts: list[str] = []
            size = 0
            template = self.template
            # shared: the variables are the context's parent as they are, without a copy
            # merged with the globals (they hold the globals themselves).
            made = template.new_context(context.variables(), shared=True)
            for chunk in template.root_render_func(made):
                size += len(chunk)
                if size > budget.limit:
                    raise RenderError(f"the result would be over {budget.limit} characters")
                budget.check()
                parts.append(chunk)
            return "".join(parts)
        except RenderError:
            raise
        except SecurityError as error:
            raise RenderError(f"refused by the sandbox: {error}") from None
        except jinja2.TemplateError as error:
            raise RenderError(f"{type(error).__name__}: {error}") from None
        except RecursionError:
            raise RenderError("the template recursed too deeply") from None
        except Exception as error:  # a helper or a filter refusing its input
            raise _failed(error) from None
        finally:
            _budget.reset(token)


def _failed(error: Exception) -> RenderError:
    """A helper's or a filter's own error, as a render's."""
    return RenderError(f"{type(error).__name__}: {error}")


def _least_limit(args: tuple[object, ...]) -> int:
    """The smallest limit under which :meth:`_Sandbox.call` lets a call take these
    arguments: no number past it, nor all of them together larger."""
    numbers = [abs(a) for a in args if isinstance(a, int) and not isinstance(a, bool)]
    return max([_size(args, sys.maxsize), *numbers])


def compile_template(source: str, field: str) -> CompiledTemplate:
    """Compile ``source``; :class:`InvalidInput` naming ``field`` when it is no template."""
    if len(source) > MAX_SOURCE:
        raise InvalidInput(
            f"{field}: a template may be at most {MAX_SOURCE} characters, got {len(source)} "
            "(serve a large body from a file: body_file)",
            field=field,
        )
    if "jsonpath" in source:
        # Imported now, when the preset is added: the library's first import takes a few
        # tenths of a second, which the first render's time budget should not pay.
        from pretenders.server.core import json_path  # noqa: F401
    environment = _environment()
    try:
        parsed = _transform(environment.parse(source))
        template = environment.from_string(parsed)
    except jinja2.TemplateSyntaxError as error:
        raise InvalidInput(
            f"{field}: not a valid template: {error.message} (line {error.lineno})", field=field
        ) from None
    except (jinja2.TemplateError, RecursionError) as error:
        raise InvalidInput(f"{field}: not a valid template: {error}", field=field) from None
    direct = direct_template(parsed, RequestView.PUBLIC, _least_limit)
    return CompiledTemplate(source, template, direct)


@functools.lru_cache(maxsize=256)
def _cached(source: str) -> CompiledTemplate:
    return compile_template(source, "template")


def render_text(source: str, context: TemplateContext) -> str:
    """Render ``source`` against ``context`` (compiled once per distinct source).

    :class:`InvalidInput` when the source is no template, :class:`RenderError` when it
    fails, takes too long or makes too much text."""
    return _cached(source).render(context)


# -- what a template sees ----------------------------------------------------------------


class CaseInsensitive(Mapping[str, str]):
    """Headers by name, any case: ``request.headers["content-type"]``; the first value."""

    __slots__ = ("_all", "_first")

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._first: dict[str, str] = {}
        self._all: dict[str, list[str]] = {}
        for name, value in pairs:
            lower = name.lower()
            self._first.setdefault(lower, value)
            self._all.setdefault(lower, []).append(value)

    def __getitem__(self, name: str) -> str:
        return self._first[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def getall(self, name: str) -> list[str]:
        """Every value sent for that header, in order."""
        return list(self._all.get(name.lower(), []))


class RequestView:
    """``request`` in a template: the request as served, each view made when first used."""

    __slots__ = ("_cache", "_rule", "_subject", "_timeout")

    PUBLIC = frozenset(
        (  # noqa: SIM905
            "method url path path_params query query_all headers cookies form body json "
            "groups named_groups"
        ).split()
    )

    def __init__(self, subject: MatchSubject, rule: MatchRule | None, timeout: float) -> None:
        self._subject = subject
        self._rule = rule
        self._timeout = timeout
        self._cache: dict[str, object] = {}

    def _view(self, name: str, make: Callable[[], object]) -> Any:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    @property
    def method(self) -> str:
        return self._subject.record.method

    @property
    def url(self) -> str:
        """The path below the mock and the query, as sent (percent-encoded)."""
        return self._subject.record.url

    @property
    def path(self) -> str:
        """The path below the mock, decoded, without the query."""
        return unquote(self._subject.record.url.split("?", 1)[0])

    @property
    def path_params(self) -> dict[str, str]:
        return self._view("path_params", self._path_params)  # type: ignore[no-any-return]

    def _path_params(self) -> dict[str, str]:
        if self._rule is None:
            return {}
        for matcher in self._rule.matchers:
            if isinstance(matcher, PathMatcher):
                path = request_path(self._subject.record)
                found = matcher.template.parameters(unquote(path) if "%2F" not in path else path)
                return found or {}
        return {}

    @property
    def query(self) -> dict[str, str]:
        """Each query parameter's first value."""
        return self._view("query", self._first_values)  # type: ignore[no-any-return]

    def _first_values(self) -> dict[str, str]:
        return {name: values[0] for name, values in self.query_all.items()}

    @property
    def query_all(self) -> dict[str, list[str]]:
        return self._subject.view("query", query_of)  # type: ignore[return-value]

    @property
    def headers(self) -> CaseInsensitive:
        return self._view("headers", lambda: CaseInsensitive(self._subject.record.headers))  # type: ignore[no-any-return]

    @property
    def cookies(self) -> dict[str, str]:
        return self._view("cookies", lambda: cookies_of(self._subject))  # type: ignore[no-any-return]

    @property
    def form(self) -> dict[str, str]:
        return self._subject.form or {}

    @property
    def body(self) -> str:
        """The body as text (bytes that are not UTF-8 replaced)."""
        text = self._subject.text
        if text is None:
            return self._subject.record.body.decode("utf-8", errors="replace")
        return text

    @property
    def json(self) -> object:
        """The body parsed as JSON, or None when it is not JSON."""
        from pretenders.server.core.json_fields import NOT_JSON_BODY, json_of

        document = json_of(self._subject)
        return None if document is NOT_JSON_BODY else document

    def _match(self) -> Any:
        if "match" not in self._cache:
            self._cache["match"] = _rule_match(self._rule, self._subject, self._timeout)
        return self._cache["match"]

    @property
    def groups(self) -> list[str | None]:
        """The rule regex's match: ``groups[0]`` all it matched, ``groups[1]`` its first
        group... (empty when the rule has no regex)."""
        found = self._match()
        return [] if found is None else [found[0].group(0), *found[0].groups()]

    @property
    def named_groups(self) -> dict[str, str | None]:
        found = self._match()
        if found is None:
            return {}
        match, names = found
        return {name: match.group(number) for name, number in names.items()}


def _rule_match(rule: MatchRule | None, subject: MatchSubject, timeout: float) -> Any:
    """The 1.4 rule regex matched again for its groups, bounded like every user regex:
    (the match, the group numbers by name), or None."""
    if rule is None or not rule.rule:
        return None
    import regex

    from pretenders.server.core.patterns import plain_source

    if sys.version_info >= (3, 11):
        from re import _parser as sre_parse
    else:  # pragma: no cover - Python 3.10
        import sre_parse
    names = re.compile(rule.rule).groupindex  # the plain source numbers groups alike
    compiled = regex.compile(plain_source(sre_parse.parse(rule.rule)), regex.V0)
    try:
        found = compiled.match(subject.rule_line, timeout=timeout)
    except TimeoutError:
        raise RenderError(f"the rule regex {rule.rule!r} gave up finding its groups") from None
    return None if found is None else (found, dict(names))


class TemplateContext:
    """What a template renders from: the request, the preset's rule (for path parameters
    and regex groups), a counter, and the bounds of the render.

    ``extra`` adds names beside ``request`` and the helpers (a webhook may add the reply).
    """

    __slots__ = (
        "_budget",
        "_variables",
        "counter",
        "extra",
        "limit",
        "regex_timeout",
        "request",
        "timeout",
    )

    def __init__(
        self,
        subject: MatchSubject,
        rule: MatchRule | None = None,
        *,
        counter: Callable[[], int] | None = None,
        limit: int = DEFAULT_LIMIT,
        timeout: float = RENDER_TIMEOUT,
        regex_timeout: float = DEFAULT_TIMEOUT,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        self.request = RequestView(subject, rule, regex_timeout)
        self.counter = counter or _one
        self.limit = limit
        self.timeout = timeout
        self.regex_timeout = regex_timeout
        self.extra = dict(extra or {})
        self._variables: dict[str, object] | None = None
        self._budget: _Budget | None = None

    def budget(self) -> _Budget:
        """The time and size left: every template rendered with this context shares one
        budget, started by the first render (a reply's status, headers and body together)."""
        if self._budget is None:
            self._budget = _Budget(self.timeout, self.limit)
        return self._budget

    def helper(self, name: str) -> Any:
        """The helper ``name`` as :meth:`variables` gives it, without making them all (the
        direct renderer calls one or two per request)."""
        if self._variables is not None:
            return self._variables[name]
        if name in self.extra:
            return self.extra[name]
        if name == "counter":
            return self.counter
        if name == "jsonpath":
            return functools.partial(_jsonpath, self.request, self.regex_timeout)
        return _PLAIN_HELPERS[name]

    def variables(self) -> dict[str, object]:
        """The names a template sees (made once: every template of a reply shares them)."""
        if self._variables is not None:
            return self._variables
        request = self.request
        variables: dict[str, object] = {
            **_environment().globals,
            "request": request,
            "jsonpath": functools.partial(_jsonpath, request, self.regex_timeout),
            "now": _now,
            "uuid": _uuid,
            "random_int": _random_int,
            "random_string": _random_string,
            "counter": self.counter,
        }
        variables.update(self.extra)
        self._variables = variables
        return variables


def _one() -> int:
    return 1


# -- helpers --------------------------------------------------------------------------------


def _jsonpath(request: RequestView, timeout: float, expression: str) -> object:
    """The first value ``expression`` selects in the request's JSON body (None if none)."""
    from pretenders.server.core.json_path import compile_jsonpath

    document = request.json
    if document is None:
        return None
    try:
        path, budget = compile_jsonpath(expression, timeout)
    except InvalidInput as error:
        raise RenderError(error.message) from None
    budget.start()
    found = path.match(document)
    return None if found is None else found.obj


_ISO_NOW: list[int | str] = [-1, ""]
"""``now()``'s text for the second it was made in."""


def _now(fmt: str = "iso", offset: float = 0) -> str:
    """The time now (UTC): ``iso`` (ISO 8601), ``epoch`` (seconds), ``epoch_ms``, or a
    ``strftime`` format; ``offset`` seconds added."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if fmt == "iso" and not offset:  # the common case: its text made once a second
        second = int(now.timestamp())
        if _ISO_NOW[0] != second:
            _ISO_NOW[:] = [second, now.isoformat(timespec="seconds").replace("+00:00", "Z")]
        return str(_ISO_NOW[1])
    moment = now + datetime.timedelta(seconds=offset)
    if fmt == "iso":
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    if fmt == "epoch":
        return str(int(moment.timestamp()))
    if fmt == "epoch_ms":
        return str(int(moment.timestamp() * 1000))
    if len(fmt) > 200:
        raise RenderError("now(): a format of at most 200 characters")
    return moment.strftime(fmt)


def _uuid() -> str:
    """A random UUID (version 4)."""
    return str(uuid_module.uuid4())


def _random_int(low: int = 0, high: int = 2**31 - 1) -> int:
    """A random whole number from ``low`` to ``high``, both included."""
    if low > high:
        raise RenderError(f"random_int({low}, {high}): the first is larger than the second")
    return random.randint(low, high)


_LETTERS = string.ascii_letters + string.digits


def _random_string(length: int = 16, alphabet: str = _LETTERS) -> str:
    """``length`` random characters of ``alphabet`` (letters and digits)."""
    if not alphabet:
        raise RenderError("random_string: an empty alphabet")
    budget = _current()
    if not 0 <= length <= budget.limit:
        raise RenderError(f"random_string: a length from 0 to {budget.limit}, got {length}")
    return "".join(random.choices(alphabet, k=length))


_PLAIN_HELPERS: dict[str, Callable[..., object]] = {
    "now": _now,
    "uuid": _uuid,
    "random_int": _random_int,
    "random_string": _random_string,
}
"""The helpers that need nothing of the request (see :meth:`TemplateContext.helper`)."""


def check_template(source: str, field: str) -> None:
    """Refuse a template that does not compile, naming the field (InvalidInput)."""
    compile_template(source, field)


def request_context(record: RequestRecord) -> TemplateContext:
    """The context of a template rendered for the request ``record`` alone (a webhook's:
    no rule, so no path parameters or regex groups)."""
    return TemplateContext(MatchSubject(record))
