"""The JSON rule fields, compiled from plain data as the wire gives them: what matches,
what a near miss says, and what is refused when the preset is added."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.json_fields import RegexBudget, parse_json
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.patterns import GaveUp, Pattern
from pretenders.server.core.records import Difference, RequestRecord
from pretenders.server.core.rule_spec import RuleSpec


def compiled(rule: dict[str, Any]) -> MatchRule:
    return MatchRule.of(msgspec.convert(rule, RuleSpec))


def subject(body: bytes | str) -> MatchSubject:
    data = body.encode() if isinstance(body, str) else body
    return MatchSubject(RequestRecord("POST", "/orders", (), data, 0.0))


def differences(rule: dict[str, Any], body: bytes | str) -> list[Difference]:
    return compiled(rule).differences(subject(body))


def only(rule: dict[str, Any], body: bytes | str) -> tuple[str, str, str]:
    (difference,) = differences(rule, body)
    return difference.field, difference.expected, difference.actual


# -- json -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"b": [1, {"c": null}], "a": "x"}',  # key order does not matter
        '{"a": "x", "b": [1.0, {"c": null}]}',  # 1 == 1.0
        '  {"a":"x","b":[1,{"c":null}]}\n',
    ],
)
def test_json_equal_bodies_match(body: str) -> None:
    assert differences({"json": {"a": "x", "b": [1, {"c": None}]}}, body) == []


def test_json_names_the_path_of_the_first_differing_value() -> None:
    rule = {"rule": "POST /orders", "json": {"order": {"items": [{"sku": "A1", "qty": 1}]}}}
    body = '{"order": {"items": [{"sku": "B2", "qty": 1}]}}'
    assert only(rule, body) == ("json $.order.items[0].sku", '"A1"', '"B2"')


@pytest.mark.parametrize(
    ("expected", "body", "found"),
    [
        ({"a": 1}, '{"a": true}', ("json $.a", "1", "true")),
        ({"a": True}, '{"a": 1}', ("json $.a", "true", "1")),
        ({"a": "1"}, '{"a": 1}', ("json $.a", '"1"', "1")),
        ({"a": 1}, "{}", ("json $.a", "1", "(absent)")),
        ({"a": 1}, '{"a": 1, "b c": 2}', ("json $['b c']", "(absent)", "2")),
        ([1, 2], "[1]", ("json $[1]", "2", "(absent)")),
        ([1], "[1, 2]", ("json $[1]", "(absent)", "2")),
        ({"a": [1]}, '{"a": {"0": 1}}', ("json $.a", "[1]", '{"0": 1}')),
        ([1, 2], "[2, 1]", ("json $[0]", "1", "2")),
        ({"a": 1}, "not json", ("json", '{"a": 1}', "(a body that is not JSON)")),
        ({"a": 1}, "", ("json", '{"a": 1}', "(a body that is not JSON)")),
        ({"a": 1}, b"\xff\xfe", ("json", '{"a": 1}', "(a body that is not JSON)")),
    ],
)
def test_json_near_misses(expected: object, body: str | bytes, found: tuple[str, ...]) -> None:
    assert only({"json": expected}, body) == found


def test_json_ignore_extra_ignores_extra_fields_at_any_depth() -> None:
    rule = {"json": {"order": {"items": [{"sku": "A1"}]}}, "json_ignore_extra": True}
    body = '{"id": 7, "order": {"items": [{"sku": "A1", "qty": 2}], "note": "x"}}'
    assert differences(rule, body) == []
    # ...but not missing ones, nor extra array items
    assert only(rule, '{"order": {"items": [{"qty": 2}]}}') == (
        "json $.order.items[0].sku",
        '"A1"',
        "(absent)",
    )
    assert only(rule, '{"order": {"items": [{"sku": "A1"}, {"sku": "B2"}]}}')[0] == (
        "json $.order.items[1]"
    )


def test_json_ignore_order_compares_arrays_as_multisets_at_any_depth() -> None:
    rule = {"json": {"tags": ["a", "b", "b"], "m": [[1, 2], [3]]}, "json_ignore_order": True}
    assert differences(rule, '{"m": [[3], [2, 1]], "tags": ["b", "a", "b"]}') == []
    field, expected, actual = only(rule, '{"m": [[3], [2, 1]], "tags": ["b", "a", "a"]}')
    assert (field, expected, actual) == ("json $.tags", '["a", "b", "b"]', '["b", "a", "a"]')
    # extra fields of an element still count without json_ignore_extra
    assert only({"json": [{"a": 1}], "json_ignore_order": True}, '[{"a": 1, "b": 2}]')[0] == (
        "json $"
    )


def test_ignore_order_with_ignore_extra_finds_a_pairing_when_one_exists() -> None:
    # A greedy pairing would give {"a": 1} the first element and leave {"a": 1, "b": 2}
    # nothing it fits.
    rule = {
        "json": [{"a": 1}, {"a": 1, "b": 2}],
        "json_ignore_order": True,
        "json_ignore_extra": True,
    }
    assert differences(rule, '[{"a": 1, "b": 2, "z": 0}, {"a": 1, "c": 3}]') == []
    assert differences(rule, '[{"a": 1, "c": 3}, {"a": 1, "c": 4}]')[0].field == "json $"
    assert differences(rule, '[{"a": 1, "b": 2}, {"a": 1}, {"a": 1}]')[0].field == "json $"


def test_numbers_and_booleans_in_arrays_compared_as_multisets() -> None:
    rule = {"json": [1, True, 2.5], "json_ignore_order": True}
    assert differences(rule, "[true, 2.5, 1.0]") == []
    assert differences(rule, "[1, 1, 2.5]") != []


def test_json_null_and_false_are_values_to_compare() -> None:
    assert differences({"json": None}, "null") == []
    assert only({"json": None}, "false") == ("json $", "null", "false")
    assert differences({"json": {"a": False}}, '{"a": false}') == []


def test_a_body_nested_too_deeply_is_not_json() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    record = RequestRecord("POST", "/", (), body, 0.0)
    assert repr(parse_json(record)) == "(a body that is not JSON)"
    assert only({"json": [1]}, body)[2] == "(a body that is not JSON)"


def test_long_values_are_cut_in_near_misses() -> None:
    _, _, actual = only({"json": {"a": "x"}}, '{"a": "' + "y" * 5000 + '"}')
    assert actual.startswith('"yyy') and actual.endswith("...") and len(actual) < 300


@pytest.mark.parametrize("option", ["json_ignore_extra", "json_ignore_order"])
def test_json_options_without_json_are_refused_naming_the_option(option: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{option} needs a json value") as refused:
        compiled({"rule": "POST /orders", option: True})
    assert refused.value.field == option


def test_the_body_is_parsed_once_and_only_when_a_rule_asks() -> None:
    plain = subject('{"a": 1}')
    assert compiled({"rule": "POST /orders", "body": ".*"}).matches(plain)
    assert plain.views is None  # nothing parsed for a rule without JSON fields
    rules = [
        compiled({"json": {"a": 1}}),
        compiled({"jsonpath": {"$.a": "1"}}),
        compiled({"json_schema": {"type": "object"}}),
    ]
    request = subject('{"a": 1}')
    assert all(rule.matches(request) for rule in rules)
    parsed = request.views
    assert parsed is not None and list(parsed) == ["json"]
    first = parsed["json"]
    assert all(rule.matches(request) for rule in rules)
    assert request.views is not None and request.views["json"] is first


# -- jsonpath -------------------------------------------------------------------------------


def test_jsonpath_conditions_on_the_first_value_selected() -> None:
    rule = {
        "jsonpath": {
            "$.order.items[0].sku": "A1",
            "$.order.total": {"gt": 10, "le": 100},
            "$.order.items[*].sku": {"matches": "A[0-9]"},
            "$.order.coupon": {"absent": True},
            "$..qty": 2,
            "$.order.items[?@.qty > 1].sku": "A1",
        }
    }
    body = '{"order": {"items": [{"sku": "A1", "qty": 2}, {"sku": "B2"}], "total": 42.5}}'
    assert differences(rule, body) == []


def test_jsonpath_near_misses_name_the_expression() -> None:
    rule = {"jsonpath": {"$.order.items[0].sku": "A1", "$.order.total": {"gt": 10}}}
    body = '{"order": {"items": [{"sku": "B2"}], "total": 5}}'
    assert differences(rule, body) == [
        Difference("jsonpath $.order.items[0].sku", "A1", "B2"),
        Difference("jsonpath $.order.total", "> 10", "5"),
    ]
    assert only({"jsonpath": {"$.missing": "x"}}, "{}") == ("jsonpath $.missing", "x", "(absent)")
    assert only({"jsonpath": {"$.a": {"absent": True}}}, '{"a": [1]}') == (
        "jsonpath $.a",
        "absent",
        "[1]",
    )
    assert only({"jsonpath": {"$.a": "x"}}, "<a/>") == (
        "jsonpath $.a",
        "x",
        "(a body that is not JSON)",
    )


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("$.a[", "unexpected end of query"),
        ("a.b", "expected 'TOKEN_ROOT'"),
        ("$.a | $.b", "unexpected token '|'"),  # python-jsonpath's own syntax, not RFC 9535
        ("$[?@.a =~ /x/]", ""),
    ],
)
def test_an_invalid_jsonpath_is_refused_naming_the_field(expression: str, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        compiled({"jsonpath": {expression: "x"}})
    assert refused.value.field == "jsonpath"
    assert refused.value.message.startswith(f"jsonpath: invalid JSONPath {expression!r}: {why}")
    assert "\n" not in refused.value.message


def test_jsonpath_match_function_regexes_are_time_limited() -> None:
    rule = {"jsonpath": {"$[?match(@.s, '(a|aa)+$')]": {"absent": True}}}
    body = '[{"s": "' + "a" * 40 + '!"}]'
    (difference,) = MatchRule.of(msgspec.convert(rule, RuleSpec), 0.02).differences(subject(body))
    assert difference.gave_up
    assert difference.actual == "(a regular expression of the filter gave up after 20 ms)"
    assert differences({"jsonpath": {"$[?match(@.s, 'a+!')].s": {"contains": "!"}}}, body) == []
    assert differences({"jsonpath": {"$[?search(@.s, 'a!')].s": {"contains": "!"}}}, body) == []


# -- json_schema ----------------------------------------------------------------------------

ORDER_SCHEMA = {
    "type": "object",
    "required": ["id", "items"],
    "properties": {
        "id": {"type": "integer"},
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
    },
    "$defs": {"item": {"type": "object", "properties": {"sku": {"pattern": "^[A-Z][0-9]$"}}}},
}


def test_json_schema_valid_bodies_match() -> None:
    assert differences({"json_schema": ORDER_SCHEMA}, '{"id": 1, "items": [{"sku": "A1"}]}') == []


def test_json_schema_near_miss_names_the_first_error_and_where() -> None:
    body = '{"id": 1, "items": [{"sku": "A1"}, {"sku": "b2"}]}'
    assert only({"json_schema": ORDER_SCHEMA}, body) == (
        "json schema",
        "'b2' does not match '^[A-Z][0-9]$'",
        '$.items[1].sku: "b2"',
    )
    field, expected, actual = only({"json_schema": ORDER_SCHEMA}, '{"items": []}')
    assert (field, expected, actual) == (
        "json schema",
        "'id' is a required property",
        '$: {"items": []}',
    )
    assert only({"json_schema": ORDER_SCHEMA}, "id=1")[2] == "(a body that is not JSON)"


def test_json_schema_drafts_by_their_schema_keyword() -> None:
    draft4 = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "maximum": 3,
        "exclusiveMaximum": True,
    }
    assert differences({"json_schema": draft4}, "2") == []
    assert differences({"json_schema": draft4}, "3")[0].field == "json schema"


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "nope"}, "json_schema: invalid schema at type:"),
        ({"minimum": "3"}, "json_schema: invalid schema at minimum: '3' is not of type 'number'"),
        ({"pattern": "(x"}, "json_schema: invalid schema at pattern:"),
        ({"$schema": "https://example.invalid/s"}, "json_schema: unknown $schema"),
        (
            {"$ref": "https://example.invalid/s.json"},
            "would be fetched: the server fetches nothing",
        ),
        ({"patternProperties": {"^(a+)+$": {}}}, "could take unbounded time"),
    ],
)
def test_an_invalid_schema_is_refused_naming_the_field(schema: object, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        compiled({"json_schema": schema})
    assert refused.value.field == "json_schema"
    assert message in refused.value.message


def test_json_schema_pattern_is_time_limited() -> None:
    rule = {"json_schema": {"properties": {"s": {"pattern": "^(a|aa)+$"}}}}
    body = '{"s": "' + "a" * 40 + '!"}'
    (difference,) = MatchRule.of(msgspec.convert(rule, RuleSpec), 0.02).differences(subject(body))
    assert (difference.field, difference.expected) == ("json schema", "^(a|aa)+$")
    assert difference.gave_up
    assert difference.actual == "(a regular expression of the schema gave up after 20 ms)"


def test_one_budget_for_all_the_regexes_of_one_query() -> None:
    budget = RegexBudget(0.05)
    pattern = Pattern("a+b", "jsonpath", 0.05)
    budget.start()
    assert budget.run(pattern.search, pattern, "aab")
    budget.deadline = time.monotonic() - 1  # as if earlier evaluations had used it up
    with pytest.raises(GaveUp):
        budget.run(pattern.search, pattern, "aab")
    budget.start()
    assert budget.run(pattern.search, pattern, "aab")  # each request starts afresh


@pytest.fixture
def schema_host() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that would serve any schema asked for; the paths asked."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b'{"type": "string"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/schema+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    host = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=host.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{host.server_address[1]}", asked
    host.shutdown()
    host.server_close()
    thread.join(timeout=5)


def test_references_are_never_fetched(schema_host: tuple[str, list[str]]) -> None:
    base, asked = schema_host
    # A relative reference against a remote $id: known only when validating.
    schema = {"$id": f"{base}/root.json", "properties": {"s": {"$ref": "string.json"}}}
    (difference,) = differences({"json_schema": schema}, '{"s": 1}')
    assert difference.field == "json schema"
    assert "references resolve" in difference.expected and "string.json" in difference.expected
    assert asked == []
    with pytest.raises(InvalidInput, match="would be fetched"):
        compiled({"json_schema": {"$ref": f"{base}/string.json"}})
    assert asked == []


def test_the_jsonpath_and_schema_libraries_load_only_for_rules_that_use_them() -> None:
    script = (
        "import sys, msgspec\n"
        "from pretenders.server.core.matching import MatchRule\n"
        "from pretenders.server.core.rule_spec import RuleSpec\n"
        "MatchRule.of(RuleSpec(rule='POST /x', json={'a': 1}, query={'q': '1'}))\n"
        "print(sorted(m for m in ('jsonpath', 'jsonschema') if m in sys.modules))\n"
        "MatchRule.of(RuleSpec(jsonpath={'$.a': '1'}, json_schema={'type': 'object'}))\n"
        "print(sorted(m for m in ('jsonpath', 'jsonschema') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines() == ["[]", "['jsonpath', 'jsonschema']"]


def test_a_schema_nested_too_deeply_to_check_is_refused() -> None:
    schema: dict[str, Any] = {"type": "object"}
    for _ in range(400):
        schema = {"properties": {"a": schema}}
    with pytest.raises(InvalidInput, match="nested too deeply") as refused:
        compiled({"json_schema": schema})
    assert refused.value.field == "json_schema"
