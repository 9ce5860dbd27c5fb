"""The preset index: literal prefixes, and exactly the order a linear scan would give."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pretenders.common.constants import FOREVER
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.preset_index import literal_prefix
from pretenders.server.core.presets import PresetQueue, Reply
from pretenders.server.core.records import RequestRecord


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        ("GET /item/42$", "GET /item/42"),
        ("GET /weather\\?city=barcelona", "GET /weather?city=barcelona"),
        ("GET /items?", "GET /item"),  # the "s" is optional
        ("GET /a+", "GET /"),
        ("(POST|PUT) /somewhere", ""),
        ("GET /a|POST /b", ""),
        (".* /test_500", ""),
        ("", ""),
        ("(?i)get /x", ""),
        ("GET /[0-9]+", "GET /"),
        ("GET /x{2}", "GET /"),
        ("^GET /x", ""),
        ("GET /(unclosed", ""),
    ],
)
def test_literal_prefix(pattern: str, prefix: str) -> None:
    assert literal_prefix(pattern) == prefix


def subject(line: str) -> MatchSubject:
    method, _, url = line.partition(" ")
    return MatchSubject(RequestRecord(method, url, (), b"", 0.0))


def test_thousand_presets_the_last_one_is_found() -> None:
    queue = PresetQueue()
    for number in range(1000):
        queue.add(MatchRule(f"GET /item/{number}$"), Reply(body=str(number).encode()), FOREVER)
    served = queue.take(subject("GET /item/999"))
    assert served is not None and served.reply.body == b"999"
    assert queue.take(subject("GET /item/1000")) is None


def test_first_added_wins_across_buckets() -> None:
    queue = PresetQueue()
    queue.add(MatchRule("GET /a/b"), Reply(body=b"long prefix"), 1)
    queue.add(MatchRule(""), Reply(body=b"no prefix"), 1)
    queue.add(MatchRule("GET /a"), Reply(body=b"short prefix"), 1)
    order = [queue.take(subject("GET /a/b/c")) for _ in range(4)]
    assert [p.reply.body if p else None for p in order] == [
        b"long prefix",
        b"no prefix",
        b"short prefix",
        None,
    ]


RULES = [
    "",
    "GET /",
    "GET /a",
    "GET /a/b",
    "GET /a$",
    "POST /a",
    ".* /a",
    "(GET|PUT) /b",
    "GET /a/\\d+",
    "GET /b?x=1",
    "GET /a/b/c$",
]
LINES = [
    "GET /a",
    "GET /a/b",
    "GET /a/b/c",
    "GET /a/7",
    "POST /a",
    "PUT /b",
    "GET /b?x=1",
    "DELETE /z",
    "GET /",
]


@settings(max_examples=200, deadline=None)
@given(
    rules=st.lists(st.tuples(st.sampled_from(RULES), st.integers(1, 3)), max_size=12),
    lines=st.lists(st.sampled_from(LINES), max_size=20),
)
def test_index_serves_exactly_what_a_linear_scan_serves(
    rules: list[tuple[str, int]], lines: list[str]
) -> None:
    queue = PresetQueue()
    linear: list[list[object]] = []  # [id, rule, uses left]
    for number, (rule, times) in enumerate(rules):
        queue.add(MatchRule(rule), Reply(), times)
        linear.append([number, MatchRule(rule), times])
    for line in lines:
        served = queue.take(subject(line))
        expected = next((entry for entry in linear if entry[1].matches(subject(line))), None)  # type: ignore[attr-defined]
        assert (served.id if served else None) == (expected[0] if expected else None)
        if expected is not None:
            expected[2] -= 1  # type: ignore[operator]
            if expected[2] == 0:
                linear.remove(expected)
    assert len(queue) == len(linear)


def test_every_preset_is_served_exactly_its_times_then_never_again() -> None:
    generator = random.Random(7)
    queue = PresetQueue()
    owed: dict[int, int] = {}
    for number in range(200):
        times = generator.randint(1, 3)
        owed[queue.add(MatchRule(f"GET /n/{number % 17}$"), Reply(), times).id] = times
    served: dict[int, int] = dict.fromkeys(owed, 0)
    for _ in range(2000):
        preset = queue.take(subject(f"GET /n/{generator.randrange(17)}"))
        if preset is not None:
            served[preset.id] += 1
    assert served == owed
    assert len(queue) == 0
    assert all(queue.take(subject(f"GET /n/{n}")) is None for n in range(17))


def test_a_removed_preset_is_never_served() -> None:
    queue = PresetQueue()
    first = queue.add(MatchRule("GET /a"), Reply(body=b"first"), FOREVER)
    queue.add(MatchRule("GET /a"), Reply(body=b"second"), FOREVER)
    assert queue.remove(first.id)
    assert not queue.remove(first.id)
    served = queue.take(subject("GET /a"))
    assert served is not None and served.reply.body == b"second"
