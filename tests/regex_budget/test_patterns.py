"""The patterns module: re's syntax and meaning, evaluated under a time budget."""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.patterns import GaveUp, Pattern, plain_source, sre_parse

CATASTROPHIC = "(a|aa)+$"
"""Backtracks without end on ``"a" * 40 + "!"``, in re and in the regex module alike."""
TRIPS = "a" * 40 + "!"


def same_as_re(source: str, text: str) -> None:
    for line in (False, True):
        pattern = Pattern(source, "rule", timeout=5.0, line=line)
        assert bool(pattern.match(text)) == (re.match(source, text) is not None), (source, text)
        assert bool(pattern.search(text)) == (re.search(source, text) is not None), (source, text)


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("", "anything"),
        ("", ""),
        ("GET /a", "GET /a/b"),
        ("GET /a", "POST /a"),
        ("GET /a", "x GET /a"),
        ("GET /a$", "GET /a"),
        ("GET /a$", "GET /a\n"),
        ("GET /a$", "GET /a\n\n"),
        ("GET /a$", "GET /ab"),
        ("GET /a$", "x GET /a"),
        ("GET /a\\Z", "GET /a\n"),
        ("GET /a\\Z", "x GET /a"),
        ("^GET", "x GET"),
        ("^GET", "GET x"),
        ("\\AGET$", "GET"),
        ("(?m)^b$", "a\nb\nc"),
        ("(?i)get /a", "GET /A"),
        ("(?x) G E T", "GET"),
        ("a.b", "a\nb"),
        ("(?s)a.b", "a\nb"),
    ],
)
def test_literal_fast_paths_and_anchors_agree_with_re(source: str, text: str) -> None:
    same_as_re(source, text)


@pytest.mark.parametrize(
    ("source", "engine"),
    [
        ("GET /item/[0-9]+$", "re"),
        ("(GET|PUT) /users/\\d+/orders", "re"),
        ("GET /a.*", "re"),
        ("(?i)get /x", "re"),
        ("GET /[a-z]{2,4}/[0-9]{3}/.+", "re"),
        ('.*"qty": [0-9]+', "re"),  # a repeat that ends the pattern is not backtracked
        ("GET /.*x.*", "re"),
        ("GET /(a|aa)+$", "regex"),  # a repeated group
        ("GET /(a+)+$", "regex"),
        ("GET /.*x.*$", "regex"),  # two wide repeats
        ("GET /.*x[0-9]{20,}", "regex"),  # the last one needs too many
        ("GET /(ab|c)(de|f)(gh|i)(jk|l)(mn|o)(pq|r)(st|u)", "regex"),  # 128 combinations
        ("GET /.*a?a?a?a?a?a?b", "re"),  # 64 combinations of a short rest
        ("GET /.*a?a?a?a?a?a?" + "a" * 400 + "b", "regex"),  # 64 combinations of a long rest
        ("GET /[a-z]*a{0,15}" + "a" * 300 + "b", "regex"),
        ("GET /(a)\\1", "regex"),  # a back-reference
        ("GET /(?=a)", "regex"),  # a look-ahead
        ("GET /x", "none"),
    ],
)
def test_request_lines_use_re_only_for_patterns_that_cannot_backtrack_much(
    source: str, engine: str
) -> None:
    assert Pattern(source, "rule", line=True).engine == engine
    assert Pattern(source, "url").engine == ("none" if engine == "none" else "regex")


def test_a_line_pattern_matched_on_re_still_searches_within_its_budget() -> None:
    pattern = Pattern("x*$", "rule", timeout=5.0, line=True)
    assert pattern.engine == "re"
    assert pattern.match("xxx")
    assert pattern.search("abc")


@pytest.mark.parametrize("size", [10, 8192, 8193, 100_000])
@pytest.mark.parametrize("source", ['.*"qty": [0-9]+', "[a-z]*x$", "(ab|c)d+"])
def test_a_linear_pattern_matches_as_re_on_short_and_long_texts(source: str, size: int) -> None:
    # (match only: searching 100,000 characters would take re itself minutes)
    pattern = Pattern(source, "rule.body", timeout=5.0)
    for text in ("a" * size + 'x "qty": 42', "c" + "d" * size, "a" * size):
        assert bool(pattern.match(text)) == (re.match(source, text) is not None)


def test_only_real_regexes_use_the_engine() -> None:
    assert Pattern("", "rule").literal
    assert Pattern("GET /item/42", "rule").literal
    assert Pattern("GET /item/42$", "rule").literal
    assert Pattern("^x\\Z", "rule").literal
    assert Pattern("GET /item/4\\.2", "rule").literal
    assert not Pattern("GET /item/[0-9]+$", "rule").literal
    assert not Pattern("(?i)get", "rule").literal
    assert not Pattern("(?m)x$", "rule").literal


@pytest.mark.parametrize(
    ("source", "text"),
    [
        # the regex module reads these as a fuzzy match and a POSIX class; re does not
        ("a{e<=1}", "a{e<=1}"),
        ("a{e<=1}", "b"),
        ("(?:ab){e<=1}x", "ax"),
        ("[[:alpha:]]", ":]"),
        ("[[:alpha:]]+", "abc"),
        ("x{,2}y", "xxy"),
        ("a{ 1}", "a{ 1}"),
        ("(?P<n>a)(?P=n)", "aa"),
        ("(a)?(?(1)b|c)", "c"),
        ("(?<=a)b", "ab"),
        ("(?<!a)b", "b"),
        ("(?>a+)b", "aab"),
        ("a++b", "aab"),
        ("(?i:a)B", "Ab"),
        ("(?i:a)B", "AB"),
        ("(?a)\\w", "é"),
        ("[^\\d\\s_z-]", "y"),
        ("[]a]+", "]a"),
        ("\\x00\\n\\t", "\x00\n\t"),
        ("é😀.", "é😀x"),
        ("x|y|", "z"),
        ("\\bfoo\\B", "foox"),
    ],
)
def test_syntax_means_what_it_means_in_re(source: str, text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # re's "possible nested set"
        same_as_re(source, text)


def test_the_engine_gets_the_pattern_written_back_plainly() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert plain_source(sre_parse.parse("[[:alpha:]]")) == "(?u)[\\x5b\\x3aalph]\\x5d"
    assert plain_source(sre_parse.parse("a{e<=1}")) == "(?u)a\\x7be\\x3c\\x3d1\\x7d"
    assert plain_source(sre_parse.parse("(?P<id>[0-9]+)/(?P=id)")) == (
        "(?u)(?P<g1>[0-9]+)\\x2f(?P=g1)"
    )


def test_an_invalid_pattern_is_refused_naming_the_field_as_re_words_it() -> None:
    with pytest.raises(InvalidInput) as caught:
        Pattern("(", "rule.body")
    assert caught.value.field == "rule.body"
    assert caught.value.message == (
        "rule.body: invalid regular expression '(': "
        "missing ), unterminated subpattern at position 0"
    )
    # regex-module syntax that re does not know stays refused
    for source in ("\\p{L}", "(?V1)a", "(?|a|b)", "a{1}{2}", "(?<=a+)b"):
        with pytest.raises(InvalidInput):
            Pattern(source, "url")


@pytest.mark.parametrize("method", ["match", "search"])
def test_a_catastrophic_evaluation_gives_up_after_its_budget(method: str) -> None:
    pattern = Pattern(CATASTROPHIC, "url", timeout=0.05)
    with pytest.raises(GaveUp) as caught:
        getattr(pattern, method)(TRIPS)
    assert caught.value.pattern is pattern
    assert str(caught.value) == "'(a|aa)+$' gave up after 50 ms"
    assert getattr(pattern, method)("aaaa")  # the same pattern on a short text answers


# Patterns built from pieces both engines know, against texts made of their letters.
_ATOMS = st.sampled_from(
    ["a", "b", ".", "[ab]", "[^a]", "\\d", "\\w", "\\s", "\\b", "^", "$", "\\Z", "-", "/", "é"]
)
_QUANTIFIERS = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,3}", "*?", "+?", "{,2}"])


@st.composite
def simple_patterns(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.booleans()):
            inner = [draw(simple_patterns(depth + 1)) for _ in range(draw(st.integers(1, 2)))]
            atom = "(" + "|".join(inner) + ")"
        else:
            atom = draw(_ATOMS)
        quantifier = draw(_QUANTIFIERS) if not atom.startswith(("\\b", "^", "$", "\\Z")) else ""
        parts.append(atom + quantifier)
    flags = draw(st.sampled_from(["", "", "(?i)", "(?s)", "(?m)", "(?a)"]))
    return flags + "".join(parts)


@settings(max_examples=300, deadline=None)
@given(simple_patterns(), st.text("ab/-é1 \n", max_size=12))
@example("(a|aa)+b", "aaab")
@example("a{e<=1}", "a{e<=1}")
@example("$", "\n")
@example("(?m)a$", "a\nb")
def test_property_matching_agrees_with_re(source: str, text: str) -> None:
    try:
        re.compile(source)
    except re.error:
        with pytest.raises(InvalidInput):
            Pattern(source, "rule")
        return
    same_as_re(source, text)
