"""The mountebank converter, alone: imposters in, our wire presets out."""

from __future__ import annotations

import base64
from typing import Any

from pretenders.server.imports.mountebank import convert_imposters, convert_stub


def _preset(stub: dict[str, Any]) -> dict[str, Any]:
    converted = convert_stub(stub)
    assert converted.unmapped == []
    assert converted.preset is not None
    return converted.preset


def test_predicates_become_one_rule() -> None:
    preset = _preset(
        {
            "predicates": [
                {"equals": {"method": "POST", "path": "/a"}, "caseSensitive": True},
                {"exists": {"query": {"page": False}}},
                {"not": {"contains": {"body": "x"}}},
                {"or": [{"startsWith": {"headers": {"X": "ab"}}}, {"matches": {"path": "^/a$"}}]},
            ],
            "responses": [{"is": {"statusCode": 201}}],
        }
    )
    assert preset["rule"] == {
        "method": "POST",
        "path": "/a",
        "query": {"page": {"absent": True}},
        "not": {"body": "(?i:(?s:.*?)(?:x))"},
        "any": [
            {"headers": {"X": {"matches": "(?is:ab.*)"}}},
            {"rule": r"\S+ (?i:/a(?:\?|\Z))"},
        ],
    }
    assert preset["status"] == 201


def test_several_responses_cycle_and_repeat_expands() -> None:
    preset = _preset(
        {
            "responses": [
                {"is": {"statusCode": 500}, "repeat": 2},
                {"is": {"body": {"ok": True}}, "_behaviors": {"wait": 150}},
            ]
        }
    )
    assert preset["pick"] == "cycle"
    assert [reply.get("status") for reply in preset["replies"]] == [500, 500, None]
    last = preset["replies"][2]
    assert base64.b64decode(last["body"]) == b'{"ok":true}'
    assert last["headers"] == {"Content-Type": "application/json"}
    assert last["after"] == 0.15
    assert preset["rule"] == {}


def test_faults_and_proxies() -> None:
    assert _preset({"responses": [{"fault": "CONNECTION_RESET_BY_PEER"}]})["fault"] == "reset"
    proxied = convert_stub({"responses": [{"proxy": {"to": "http://127.0.0.1:1"}}]})
    assert proxied.preset is not None
    assert proxied.preset["proxy"] == {"to": "http://127.0.0.1:1"}
    assert "proxyOnce records stubs in mountebank" in proxied.unmapped[0]


def test_what_cannot_be_mapped_is_named() -> None:
    converted = convert_stub(
        {
            "predicates": [{"equals": {"requestFrom": "x"}}, {"inject": "fn"}],
            "responses": [
                {"is": {"body": "a", "data": 1}, "_behaviors": {"decorate": "fn", "wait": "fn"}}
            ],
        },
        3,
    )
    assert converted.stub == "stub #3"
    assert converted.unmapped == [
        "predicates[0].equals.requestFrom: not supported",
        "predicates[1].inject: not supported",
        "predicates[1]: one operator expected, got none",
        "responses[0].is.data: not supported",
        "responses[0]._behaviors.decorate: not supported",
        "responses[0]._behaviors.wait: not supported",
    ]


def test_imposters_are_named_and_their_default_response_comes_last() -> None:
    converted = convert_imposters(
        {
            "imposters": [
                {"port": 4545, "stubs": [{"responses": [{"is": {"body": "a"}}]}]},
                {
                    "name": "named",
                    "protocol": "http",
                    "defaultResponse": {"statusCode": 404},
                    "stubs": [],
                },
                {"protocol": "tcp"},
            ]
        }
    )
    assert [name for name, _ in converted] == ["imposter-4545", "named", "imposter-3"]
    assert converted[1][1][0].preset == {"status": 404, "rule": "", "times": "FOREVER"}
    assert converted[2][1][0].unmapped == ["protocol tcp: only http is imported"]


def test_values_of_the_wrong_type_leave_the_stub_out_saying_why() -> None:
    (_, converted), *_ = convert_imposters(
        {"stubs": [{"responses": [{"is": {"statusCode": "x"}}]}, "nonsense"]}
    )
    assert converted[0].preset is None
    assert converted[0].unmapped[0].startswith("not read: ValueError")
    assert converted[1].unmapped == ["not a JSON object"]
