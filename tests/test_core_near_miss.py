"""Unit tests of near-miss scoring and of the 404 text."""

from __future__ import annotations

from pretenders.common.constants import FOREVER
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.near_miss import (
    closest_presets,
    describe_near_miss,
    explain_miss,
    near_miss,
    quote,
)
from pretenders.server.core.presets import Preset, PresetQueue, Reply
from pretenders.server.core.records import RequestRecord


def record(
    method: str = "GET",
    url: str = "/",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> RequestRecord:
    return RequestRecord(method, url, headers, body, 0.0)


def queue(*rules: MatchRule, times: object = 1) -> PresetQueue:
    presets = PresetQueue()
    for rule in rules:
        presets.add(rule, Reply(), times)
    return presets


def ranked(presets: PresetQueue, request: RequestRecord) -> list[int]:
    return [miss.preset_id for miss in closest_presets(presets, MatchSubject(request))]


def test_a_header_miss_is_closer_than_any_rule_miss() -> None:
    presets = queue(
        MatchRule("POST /users"),
        MatchRule("GET /users", headers={"X-A": "1", "X-B": "2", "X-C": "3"}),
    )
    assert ranked(presets, record(url="/users")) == [1, 0]


def test_wrong_method_is_closer_than_wrong_path_closer_than_both() -> None:
    presets = queue(MatchRule("GET /users"), MatchRule("POST /users"), MatchRule("PUT /orders"))
    misses = closest_presets(presets, MatchSubject(record("POST", "/orders")))
    assert [(m.preset_id, m.rule_miss) for m in misses] == [(2, "method"), (1, "path"), (0, None)]


def test_among_wrong_paths_the_most_alike_comes_first() -> None:
    presets = queue(
        MatchRule("GET /invoices/[0-9]+"), MatchRule("GET /users/\\d+/profile"), MatchRule("GET /x")
    )
    assert ranked(presets, record(url="/users/42/profil")) == [1, 0, 2]


def test_alternatives_in_the_method_are_understood() -> None:
    presets = queue(MatchRule("(POST|PUT) /somewhere"))
    (miss,) = closest_presets(presets, MatchSubject(record("GET", "/somewhere")))
    assert miss.rule_miss == "method"


def test_rules_that_cannot_be_split_still_rank() -> None:
    presets = queue(MatchRule("DELETE"), MatchRule("(GET|PUT)\\ /x"))
    misses = closest_presets(presets, MatchSubject(record("POST", "/x")))
    assert {m.rule_miss for m in misses} == {None}


def test_only_the_closest_three_are_kept_older_first_on_ties() -> None:
    presets = queue(*(MatchRule("GET /x", headers={"X-N": str(n)}) for n in range(5)))
    assert ranked(presets, record(url="/x")) == [0, 1, 2]


def test_every_difference_of_a_preset_is_listed() -> None:
    preset = Preset(7, MatchRule("POST /x", headers={"X-K": "1"}, body="a"), Reply(), FOREVER)
    miss = near_miss(preset, MatchSubject(record("GET", "/x", (("X-K", "2"),), b"b")))
    assert [d.field for d in miss.differences] == ["rule", "header X-K", "body"]
    assert miss.times_left == FOREVER
    assert describe_near_miss(miss) == (
        'preset 7 "POST /x" (times left FOREVER): rule: expected "POST /x", got "GET /x" '
        '(the path matches, the method does not); header X-K: expected "1", got "2"; '
        'body: expected "a", got "b"'
    )


def test_explanation_of_a_header_miss() -> None:
    presets = queue(MatchRule("GET /users/\\d+$", headers={"X-Token": "abc"}))
    request = record(url="/users/42?x=1", headers=(("X-Token", "abd"),))
    request.near_misses = closest_presets(presets, MatchSubject(request))
    assert explain_miss(request, len(presets), "m") == (
        "No matching preset response for GET /users/42?x=1\n"
        "Closest preset:\n"
        '1. preset 0 "GET /users/\\d+$" (times left 1): rule: expected "GET /users/\\d+$", '
        'got "GET /users/42?x=1" (the method matches, the path does not); '
        'header X-Token: expected "abc", got "abd"\n'
    )


def test_explanation_counts_presets_left_out() -> None:
    presets = queue(*(MatchRule(f"GET /{n}") for n in range(5)))
    request = record(url="/9")
    request.near_misses = closest_presets(presets, MatchSubject(request))
    lines = explain_miss(request, len(presets), "m").splitlines()
    assert lines[1] == "Closest 3 of 5 presets:"
    assert len(lines) == 5


def test_explanation_without_presets_says_how_to_add_one() -> None:
    text = explain_miss(record(url="/x"), 0, "orders")
    assert text == (
        "No matching preset response for GET /x\n"
        "The mock has no presets: add one with POST /preset/orders or mock.when(...).reply(...)\n"
    )


def test_absent_header_and_form_data_are_described_not_quoted() -> None:
    presets = queue(MatchRule("POST /f", headers={"X-K": "1"}, data={"a": "1"}))
    request = record("POST", "/f", (("Content-Type", "application/x-www-form-urlencoded"),), b"a=2")
    (miss,) = closest_presets(presets, MatchSubject(request))
    assert describe_near_miss(miss).endswith(
        "header X-K: expected \"1\", got (absent); data: expected {'a': '1'}, got {'a': '2'}"
    )


def test_quote_escapes_and_cuts() -> None:
    assert quote('say "hi"\r\n') == '"say \\"hi\\"\\r\\n"'
    assert quote("x" * 100) == '"' + "x" * 80 + '..."'
    assert quote("caf\u00e9 \udcff") == '"caf\u00e9 \ufffd"'
