"""User-supplied regular expressions: compiled once, each evaluation bounded in time.

Every regex a user gives (preset rules and bodies, history filters, ``count`` and ``wait``
filters, SMTP script matches) becomes a :class:`Pattern`. Its syntax and meaning are
Python's ``re`` (the 1.4 contract): the source is parsed by ``re``'s own parser, so ``re``
accepts and refuses exactly what it did, with the same error. It then runs on the
``regex`` module, whose matching can stop after a time budget: an evaluation that passes
it raises :class:`GaveUp` instead of holding the event loop for seconds or hours.

The ``regex`` module reads some text differently from ``re`` (``{e<=1}`` is a fuzzy match
there and literal text in ``re``; ``[[:alpha:]]`` a POSIX class there and a set of
characters in ``re``), so it is not handed the user's source: it gets the same parsed
pattern written back in the plainest syntax both engines read alike (see
:func:`plain_source`), which is checked to parse back to the same pattern in ``re``.

Patterns that need no engine do not use one: the empty pattern always matches, and a
pattern that is only literal text (optionally anchored) is a string comparison. A rule
that cannot backtrack much (see :func:`linear`) matches request lines on ``re`` itself.
"""

from __future__ import annotations

import functools
import operator
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import regex

if sys.version_info >= (3, 11):
    from re import _constants as sre
    from re import _parser as sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_constants as sre
    import sre_parse

from pretenders.server.core.errors import CoreError, InvalidInput

DEFAULT_TIMEOUT = 0.05
"""Seconds one evaluation of a user's regex may take before it gives up."""

Test = Callable[[str], object]
"""Whether a text matches, as a truthy value (``re`` answers a match object or None)."""


class GaveUp(Exception):
    """An evaluation of ``pattern`` took longer than its time budget."""

    def __init__(self, pattern: Pattern) -> None:
        super().__init__(f"{pattern.source!r} gave up after {milliseconds(pattern.timeout)}")
        self.pattern = pattern


class RegexGaveUp(CoreError):
    """A filter's regex gave up on a recorded request or mail: the filter cannot answer."""

    status = 400
    code = "regex_gave_up"


def milliseconds(seconds: float) -> str:
    """``50 ms``."""
    return f"{seconds * 1000:g} ms"


def gave_up_error(field: str, source: str, timeout: float, what: str) -> RegexGaveUp:
    """The 400 of a filter whose ``field`` regex gave up on ``what`` (``a recorded mail``)."""
    return RegexGaveUp(
        f"{field}: the regular expression {source!r} gave up after {milliseconds(timeout)} "
        f"on {what}; simplify it (nested repeats such as (a|aa)+ backtrack without end) "
        "or start the server with a higher --regex-timeout",
        field=field,
    )


class Pattern:
    """A user's regex, compiled once; ``match`` anchors at the start (``re.match``) and
    ``search`` looks anywhere (``re.search``). Both answer whether it matched (a truthy
    value) or raise :class:`GaveUp`.

    A pattern whose matching work can only grow linearly with the text (see
    :func:`linear`) matches texts of up to :data:`SHORT_TEXT` characters on ``re`` itself,
    without a budget: it cannot take long on them, and ``re`` is several times quicker.
    ``line``: the texts are request lines (``"METHOD /path?query"`` or a part of one),
    which the HTTP parser keeps that short, so not even their length is checked.
    """

    __slots__ = ("engine", "field", "match", "reported", "search", "source", "timeout")

    def __init__(
        self, source: str, field: str, timeout: float = DEFAULT_TIMEOUT, line: bool = False
    ) -> None:
        self.source = source
        self.field = field
        self.timeout = timeout
        self.reported = False
        """Whether a give-up of this pattern was logged (it is logged once)."""
        try:
            analyse = _cached_analysis if len(source) <= CACHED_SOURCE else _analysis
            compiled, parsed, fast, is_linear = analyse(source)
        except re.error as error:
            raise InvalidInput(
                f"{field}: invalid regular expression {source!r}: {error}", field=field
            ) from None
        if fast is not None:
            self.engine = "none"
            self.match, self.search = fast
        elif line and is_linear:
            self.engine = "re"
            self.match, self.search = compiled.match, self._compile_then_search
        else:
            self.engine = "regex"
            self.match, self.search = self._budgeted_tests(parsed)
            if is_linear:
                # Short texts (most bodies, addresses) cannot take long either.
                self.match = _short_on_re(compiled.match, self.match)

    @property
    def literal(self) -> bool:
        """True when no regex engine is involved (empty or literal text)."""
        return self.engine == "none"

    def _compile_then_search(self, text: str) -> object:
        # A line pattern is only matched (rules): searching it is rare enough to compile
        # the budgeted engine (about a millisecond) only when it happens.
        self.search = self._budgeted_tests(sre_parse.parse(self.source))[1]
        return self.search(text)

    def _budgeted_tests(self, parsed: Any) -> tuple[Test, Test]:
        try:
            compiled = regex.compile(plain_source(parsed), regex.V0)
        except (regex.error, ValueError) as error:  # pragma: no cover - none known
            raise InvalidInput(
                f"{self.field}: the regular expression {self.source!r} cannot be run "
                f"with a time limit: {error}",
                field=self.field,
            ) from None
        engine_match, engine_search, timeout = compiled.match, compiled.search, self.timeout

        def match(text: str) -> bool:
            try:
                return engine_match(text, timeout=timeout) is not None
            except TimeoutError:
                raise GaveUp(self) from None

        def search(text: str) -> bool:
            try:
                return engine_search(text, timeout=timeout) is not None
            except TimeoutError:
                raise GaveUp(self) from None

        return match, search

    def __repr__(self) -> str:
        return f"Pattern({self.source!r}, {self.field!r}, timeout={self.timeout})"


def _analysis(source: str) -> tuple[re.Pattern[str], Any, tuple[Test, Test] | None, bool]:
    """``source`` compiled by ``re``, parsed, its string tests if it is literal text, and
    whether it is :func:`linear` (``re.error`` if it is invalid)."""
    compiled = re.compile(source)  # some checks (look-behind width) are made here
    parsed = sre_parse.parse(source)
    return compiled, parsed, _literal_tests(parsed), linear(parsed)


CACHED_SOURCE = 256
"""Patterns up to this many characters have their analysis cached (1024 of them at most):
parsing one costs tens of microseconds, and a test suite sends the same rules over and
over; a longer one is analysed each time, so the cache stays small."""
_cached_analysis = functools.lru_cache(maxsize=1024)(_analysis)


SHORT_TEXT = 8192
"""Characters of text on which a linear pattern matches quickly on ``re`` (about as long
as the longest request line the HTTP parser accepts)."""


def _short_on_re(on_re: Test, budgeted: Test) -> Test:
    def match(text: str) -> object:
        return on_re(text) if len(text) <= SHORT_TEXT else budgeted(text)

    return match


_WIDE = 16
"""A repeat allowing more counts than this is "wide": at most one per linear pattern."""
_MAX_CHOICES = 64
"""The most combinations of alternatives and narrow repeat counts of a linear pattern."""
_MAX_STEPS = 1024
"""The most steps a linear pattern may take per character of text (its combinations times
its width): on the longest text it is run on, a few milliseconds."""


def linear(parsed: Any) -> bool:
    """Whether matching the pattern at one position takes at most about
    ``64 x text length x pattern length`` steps in ``re``: no back-references or
    look-arounds, every repeat of a single character (or set), at most one of them wide
    besides one that ends the pattern, and at most 64 ways to combine the alternatives and
    the counts of the other repeats.
    Nested repeats such as ``(a+)+`` and two wide repeats such as ``.*x.*`` are not."""
    wide = 0
    choices = 1

    def walk(items: Any) -> bool:
        nonlocal wide, choices
        for op, argument in items:
            if op in _ATOMS or op is sre.AT:
                continue
            if op in _REPEATS:
                low, high, body = argument
                if len(body.data) != 1 or body.data[0][0] not in _ATOMS:
                    return False
                if high is sre.MAXREPEAT or high - low > _WIDE:
                    wide += 1
                else:
                    choices *= high - low + 1
            elif op is sre.SUBPATTERN:
                if not walk(argument[3].data):
                    return False
            elif op is sre.BRANCH:
                choices *= len(argument[1])
                if not all(walk(branch.data) for branch in argument[1]):
                    return False
            else:
                return False
            if wide > 1 or choices > _MAX_CHOICES:
                return False
        return True

    items = list(parsed.data)
    if items and items[-1][0] in _REPEATS:
        # A repeat that ends the pattern is never backtracked into: once it has its least
        # count the match is made, and failing takes fewer steps than that count.
        low, _, body = items[-1][1]
        if low <= _WIDE and len(body.data) == 1 and body.data[0][0] in _ATOMS:
            items.pop()
    # Each count of the wide repeat tries every combination of the rest, each up to its
    # width: that product bounds the steps per character of text.
    return walk(items) and choices * _width(items) <= _MAX_STEPS


def _width(items: Any) -> int:
    """The most characters ``items`` match, counting a wide repeat as none."""
    total = 0
    for op, argument in items:
        if op in _ATOMS:
            total += 1
        elif op in _REPEATS:
            low, high, _ = argument
            total += low if high is sre.MAXREPEAT or high - low > _WIDE else high
        elif op is sre.SUBPATTERN:
            total += _width(argument[3].data)
        elif op is sre.BRANCH:
            total += max(_width(branch.data) for branch in argument[1])
    return total


def _always(text: str) -> bool:
    return True


_STARTS = ((sre.AT, sre.AT_BEGINNING), (sre.AT, sre.AT_BEGINNING_STRING))
_ENDS = ((sre.AT, sre.AT_END), (sre.AT, sre.AT_END_STRING))


def _literal_tests(parsed: Any) -> tuple[Test, Test] | None:
    """String tests equal to ``re.match`` / ``re.search`` for ``^?literal($|\\Z)?``;
    None for any other pattern."""
    flags = parsed.state.flags
    if flags & re.IGNORECASE:
        return None
    items = list(parsed.data)
    start = end = None
    if items and items[0] in _STARTS:
        start = items.pop(0)[1]
    if items and items[-1] in _ENDS:
        end = items.pop()[1]
    if any(op is not sre.LITERAL for op, _ in items):
        return None
    if flags & re.MULTILINE and (start is sre.AT_BEGINNING or end is sre.AT_END):
        return None
    text = "".join(chr(code) for _, code in items)
    if end is None:
        match: Test = _always if not text else operator.methodcaller("startswith", text)
        search: Test = match if start is not None else _contains(text)
    else:
        # ``$`` also matches before a newline that ends the string.
        endings = (text, text + "\n") if end is sre.AT_END else (text,)
        match = frozenset(endings).__contains__
        search = match if start is not None else operator.methodcaller("endswith", endings)
    return match, search


def _contains(text: str) -> Test:
    if not text:
        return _always
    return operator.methodcaller("__contains__", text)


# Writing a parsed pattern back -------------------------------------------------------

_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}
_AT = {
    sre.AT_BEGINNING: "^",
    sre.AT_BEGINNING_STRING: r"\A",
    sre.AT_END: "$",
    sre.AT_END_STRING: r"\Z",
    sre.AT_BOUNDARY: r"\b",
    sre.AT_NON_BOUNDARY: r"\B",
}
_FLAG_LETTERS = (
    (re.IGNORECASE, "i"),
    (re.MULTILINE, "m"),
    (re.DOTALL, "s"),
    (re.VERBOSE, "x"),  # harmless: the written pattern has no blanks or comments
    (re.ASCII, "a"),
    (re.UNICODE, "u"),
)
_REPEATS = {sre.MAX_REPEAT: "", sre.MIN_REPEAT: "?"}
_SHORT_BOUNDS = {(0, sre.MAXREPEAT): "*", (1, sre.MAXREPEAT): "+", (0, 1): "?"}
_ATOMS = (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN)
"""Nodes written as one character or one set: repeated without a group around them."""
if sys.version_info >= (3, 11):
    _REPEATS[sre.POSSESSIVE_REPEAT] = "+"


def plain_source(parsed: Any) -> str:
    """The pattern ``re`` parsed, written with only the syntax ``re`` and ``regex`` (V0)
    read alike: every literal escaped, every group numbered (named ``g<n>``), repeats in
    braces. Checked: ``re`` parses it back to the same pattern."""
    flags = "".join(letter for flag, letter in _FLAG_LETTERS if parsed.state.flags & flag)
    source = (f"(?{flags})" if flags else "") + _sequence(parsed.data)
    again: Any = sre_parse.parse(source)
    if repr(again.data) != repr(parsed.data) or again.state.flags != parsed.state.flags:
        raise AssertionError(f"could not write back {parsed!r}")  # pragma: no cover
    return source


def _sequence(items: Sequence[tuple[Any, Any]]) -> str:
    return "".join(_item(op, argument) for op, argument in items)


def _item(op: Any, argument: Any) -> str:
    if op is sre.LITERAL:
        return _char(argument)
    if op is sre.NOT_LITERAL:
        return f"[^{_char(argument)}]"
    if op is sre.ANY:
        return "."
    if op is sre.IN:
        return _set(argument)
    if op is sre.AT:
        return _AT[argument]
    if op in _REPEATS:
        low, high, body = argument
        inner = _sequence(body.data)
        if len(body.data) != 1 or body.data[0][0] not in _ATOMS:
            inner = f"(?:{inner})"
        bound = _SHORT_BOUNDS.get((low, high)) or (
            f"{{{low},}}" if high is sre.MAXREPEAT else f"{{{low},{high}}}"
        )
        return f"{inner}{bound}{_REPEATS[op]}"
    if op is sre.SUBPATTERN:
        group, add, remove, body = argument
        inner = _sequence(body.data)
        flags = _flags(add) + (f"-{_flags(remove)}" if _flags(remove) else "")
        if flags:
            inner = f"(?{flags}:{inner})"
        return f"(?:{inner})" if group is None else f"(?P<g{group}>{inner})"
    if op is sre.BRANCH:
        return "(?:" + "|".join(_sequence(branch.data) for branch in argument[1]) + ")"
    if op is sre.GROUPREF:
        return f"(?P=g{argument})"
    if op is sre.GROUPREF_EXISTS:
        group, yes, no = argument
        other = f"|{_sequence(no.data)}" if no is not None else ""
        return f"(?(g{group}){_sequence(yes.data)}{other})"
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        direction, body = argument
        kind = (
            ("=" if op is sre.ASSERT else "!")
            if direction == 1
            else ("<=" if op is sre.ASSERT else "<!")
        )
        return f"(?{kind}{_sequence(body.data)})"
    if sys.version_info >= (3, 11) and op is sre.ATOMIC_GROUP:
        return f"(?>{_sequence(argument.data)})"
    raise AssertionError(f"unexpected regex node {op}")  # pragma: no cover


def _set(items: Sequence[tuple[Any, Any]]) -> str:
    parts = []
    for op, argument in items:
        if op is sre.NEGATE:
            parts.append("^")
        elif op is sre.LITERAL:
            parts.append(_char(argument))
        elif op is sre.RANGE:
            parts.append(f"{_char(argument[0])}-{_char(argument[1])}")
        elif op is sre.CATEGORY:
            parts.append(_CATEGORIES[argument])
        else:  # pragma: no cover
            raise AssertionError(f"unexpected set item {op}")
    return "[" + "".join(parts) + "]"


def _flags(mask: int) -> str:
    return "".join(letter for flag, letter in _FLAG_LETTERS if mask & flag)


def _char(code: int) -> str:
    if code < 128 and chr(code).isalnum():
        return chr(code)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
