"""A 1.4 rule (rule, headers, body, data) matches exactly the requests it matched before
the rule language grew: checked against 1.4's semantics written out plainly, for any
rule and request hypothesis makes, and through the wire's JSON as a client sends it."""

from __future__ import annotations

import re

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from pretenders.server.core.matching import MatchRule, MatchSubject, parse_form
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.rule_fields import compile_fields
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.wire.inputs import PresetIn, match_rule_of

EXAMPLES = settings(max_examples=300, deadline=None)

pieces = st.sampled_from(
    ["GET", "POST", " ", "/", "a", "b", "1", ".*", "[ab]", "\\d+", "?", "x=1", "(a|b)", "$", "{id}"]
)
regexes = st.lists(pieces, max_size=5).map("".join).filter(lambda r: _compiles(r))
names = st.sampled_from(["X-A", "x-a", "Content-Type", "X-B"])
values = st.sampled_from(["1", "2", "a b", "application/x-www-form-urlencoded", ""])
methods = st.sampled_from(["GET", "POST", "PUT"])
urls = st.lists(
    st.sampled_from(["/", "a", "b", "1", "?", "x=1", "&", "{id}", "%20"]), max_size=5
).map(lambda parts: "/" + "".join(parts))
bodies = st.sampled_from([b"", b"a", b"x=1", b"x=1&y=2", b"\xff", b"ab1", b'{"a": 1}'])


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def matched_in_1_4(
    rule: str,
    headers: dict[str, str],
    body: str | None,
    data: dict[str, str] | None,
    record: RequestRecord,
) -> bool:
    """1.4's matching, plainly: the rule regex from the start of "METHOD url", each header
    with that exact value (or its values joined), the form fields all equal or the body
    regex from the start of the text."""
    if not re.match(rule, f"{record.method} {record.url}"):
        return False
    sent: dict[str, list[str]] = {}
    for name, value in record.headers:
        sent.setdefault(name.lower(), []).append(value)
    for name, value in headers.items():
        got = sent.get(name.lower(), [])
        if value not in got and not (len(got) > 1 and ", ".join(got) == value):
            return False
    if data:
        return parse_form(record.body, sent.get("content-type", [])) == data
    if body:
        try:
            text = record.body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return re.match(body, text) is not None
    return True


@EXAMPLES
@given(
    rule=regexes,
    headers=st.dictionaries(names, values, max_size=2),
    body=st.one_of(st.none(), regexes),
    data=st.one_of(st.none(), st.dictionaries(st.sampled_from(["x", "y"]), values, max_size=2)),
    method=methods,
    url=urls,
    sent_headers=st.lists(st.tuples(names, values), max_size=3),
    sent_body=bodies,
)
def test_a_1_4_rule_matches_what_it_matched(
    rule: str,
    headers: dict[str, str],
    body: str | None,
    data: dict[str, str] | None,
    method: str,
    url: str,
    sent_headers: list[tuple[str, str]],
    sent_body: bytes,
) -> None:
    record = RequestRecord(method, url, tuple(sent_headers), sent_body, 0.0)
    expected = matched_in_1_4(rule, headers, body, data, record)

    compiled = MatchRule(rule, headers=headers, body=body, data=data)
    assert compiled.matches(MatchSubject(record)) == expected
    assert compile_fields(compiled.spec) == []  # nothing past 1.4 is compiled for it

    # As a client sends it: {"rule": {...}} in POST /preset, decoded by the wire.
    posted = {"rule": {"rule": rule, "headers": headers, "body": body, "data": data}}
    payload = msgspec.json.decode(msgspec.json.encode(posted), type=PresetIn)
    from_wire = match_rule_of(payload.rule, timeout=1.0)
    assert from_wire.matches(MatchSubject(record)) == expected
    assert from_wire.spec.is_1_4


@given(rule=regexes)
def test_a_bare_rule_string_is_the_same_rule(rule: str) -> None:
    assert match_rule_of(rule, timeout=1.0).spec == RuleSpec(rule)


def test_braces_in_a_1_4_rule_stay_literal() -> None:
    rule = MatchRule("GET /users/{id}$")
    assert rule.matches(MatchSubject(RequestRecord("GET", "/users/{id}", (), b"", 0.0)))
    assert not rule.matches(MatchSubject(RequestRecord("GET", "/users/7", (), b"", 0.0)))
