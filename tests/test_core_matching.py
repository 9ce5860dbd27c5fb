"""Unit tests of the matchers and the preset queue."""

from __future__ import annotations

import pytest

from pretenders.common.constants import FOREVER
from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import MatchRule, MatchSubject, parse_form
from pretenders.server.core.presets import PresetQueue, Reply
from pretenders.server.core.records import RequestRecord


def subject(
    method: str = "GET",
    url: str = "/",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> MatchSubject:
    return MatchSubject(RequestRecord(method, url, headers, body, 0.0))


def test_rule_uses_re_match_semantics() -> None:
    rule = MatchRule("GET /a")
    assert rule.matches(subject(url="/abc?x=1"))
    assert not rule.matches(subject(url="/b/a"))
    assert not MatchRule("/a").matches(subject(url="/a"))


def test_differences_name_each_failing_part() -> None:
    rule = MatchRule("POST /x", headers={"X-Key": "1"}, body="hello")
    found = rule.differences(subject("GET", "/y", (("x-key", "2"),), b"bye"))
    assert [(d.field, d.expected, d.actual) for d in found] == [
        ("rule", "POST /x", "GET /y"),
        ("header X-Key", "1", "2"),
        ("body", "hello", "bye"),
    ]
    assert rule.differences(subject("POST", "/x", (("X-KEY", "1"),), b"hello!")) == []


def test_absent_header_is_reported_as_absent() -> None:
    (difference,) = MatchRule("", headers={"X-Key": "1"}).differences(subject())
    assert difference.actual == "(absent)"


def test_repeated_header_matches_any_value_or_the_joined_list() -> None:
    sent = subject(headers=(("Accept", "a"), ("Accept", "b")))
    assert MatchRule("", headers={"accept": "b"}).matches(sent)
    assert MatchRule("", headers={"accept": "a, b"}).matches(sent)
    assert not MatchRule("", headers={"accept": "c"}).matches(sent)


@pytest.mark.parametrize(
    ("body", "content_type", "form"),
    [
        (
            b"a=1&b=two+words&c=%26",
            "application/x-www-form-urlencoded",
            {"a": "1", "b": "two words", "c": "&"},
        ),
        (b"flag&x=", "", {"flag": "", "x": ""}),
        (b"", "", {}),
        (b"\xff", "", None),
        (
            b'--B\r\nContent-Disposition: form-data; name="f"\r\n\r\nl1\r\nl2\r\n--B--\r\n',
            "multipart/form-data; boundary=B",
            {"f": "l1\r\nl2"},
        ),
        (
            b'--B\nContent-Disposition: form-data; name="f"\n\nv\n--B--\n',
            "multipart/form-data; boundary=B",
            {"f": "v"},
        ),
        (b"--B--\r\n", "multipart/form-data; boundary=B", {}),  # a form with no fields
        (b"--B--\r\n", "multipart/form-data; boundary=C", None),
        *(
            (
                b'--B\r\nContent-Disposition: form-data; name="f"\r\n'
                b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\nv\xff\r\n--B--\r\n",
                "multipart/form-data; boundary=B",
                {"f": "v\ufffd"},
            )
            # Charsets Python cannot decode text with: read as UTF-8, never an error.
            for charset in (b"nope", b"rot13", b"idna")
        ),
    ],
)
def test_parse_form(body: bytes, content_type: str, form: dict[str, str] | None) -> None:
    assert parse_form(body, [content_type] if content_type else []) == form


def test_bad_regex_fails_at_compile_time_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        MatchRule("ok", body="(")
    assert caught.value.field == "rule.body"


def test_queue_takes_first_match_and_counts_uses() -> None:
    queue = PresetQueue()
    queue.add(MatchRule("GET /a"), Reply(body=b"1"), 2)
    queue.add(MatchRule(""), Reply(body=b"any"), FOREVER)
    served = [queue.take(subject(url="/a")) for _ in range(3)]
    assert [p.reply.body for p in served if p] == [b"1", b"1", b"any"]
    assert len(queue) == 1


def test_queue_removes_used_up_presets_and_returns_none_without_match() -> None:
    queue = PresetQueue()
    queue.add(MatchRule("GET /a"), Reply(), 1)
    assert queue.take(subject(url="/b")) is None
    assert queue.take(subject(url="/a")) is not None
    assert queue.take(subject(url="/a")) is None
    assert len(queue) == 0


@pytest.mark.parametrize("times", [0, -1, True, "3", 1.0])
def test_invalid_times(times: object) -> None:
    with pytest.raises(InvalidInput, match="times"):
        PresetQueue().add(MatchRule(""), Reply(), times)


@pytest.mark.parametrize(
    ("condition", "matched"),
    [
        ("2", True),  # text equality: the fast path
        ("1", True),  # any of the values
        ({"equals": "2", "absent": False}, True),  # more than equality: the checks
        ("3", False),
        ({"equals": "3", "absent": False}, False),
    ],
)
def test_a_query_condition_holds_on_any_value_of_the_parameter(
    condition: object, matched: bool
) -> None:
    import msgspec

    from pretenders.server.core.rule_spec import RuleSpec

    spec = msgspec.convert({"path": "/q", "query": {"v": condition}}, RuleSpec)
    rule = MatchRule.of(spec)
    record = RequestRecord(method="GET", url="/q?v=1&v=2", headers=(), body=b"", time=0.0)
    assert rule.matches(MatchSubject(record)) is matched
