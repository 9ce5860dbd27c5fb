"""The WireMock converter, alone: mappings in, our wire presets out (the reply features'
shapes of the wire exactly), and what it could not map."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pretenders.server.imports.wiremock import convert_mapping, translate_template


def _preset(mapping: dict[str, Any]) -> dict[str, Any]:
    converted = convert_mapping(mapping)
    assert converted.unmapped == []
    assert converted.preset is not None
    return converted.preset


def test_request_fields_become_one_rule() -> None:
    preset = _preset(
        {
            "request": {
                "method": "PUT",
                "urlPathTemplate": "/users/{id}",
                "pathParameters": {"id": {"matches": "[0-9]+"}},
                "queryParameters": {"dry": {"absent": True}, "v": {"equalTo": "2"}},
                "headers": {"X-Key": {"equalTo": "k", "caseInsensitive": True}},
                "cookies": {"s": {"doesNotMatch": "x.*"}},
                "bodyPatterns": [
                    {"equalToJson": '{"a": [1, 2]}', "ignoreArrayOrder": True},
                    {"matchesJsonPath": {"expression": "$.a[0]", "equalTo": "1"}},
                ],
            },
            "response": {"status": 204},
        }
    )
    assert preset["rule"] == {
        "method": "PUT",
        "path": "/users/{id}",
        "query": {"dry": {"absent": True}, "v": "2"},
        "headers": {"X-Key": {"matches": "(?i:k)"}},
        "cookies": {"s": {"not": {"matches": "x.*"}}},
        "path_params": {"id": {"matches": "[0-9]+"}},
        "json": {"a": [1, 2]},
        "json_ignore_order": True,
        "jsonpath": {"$.a[0]": "1"},
    }
    assert preset["status"] == 204
    assert preset["times"] == "FOREVER"


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ({"url": "/a?b=1"}, {"rule": r"\S+ /a\?b=1\Z"}),
        ({"urlPath": "/a/b"}, {"path": "/a/b"}),
        ({"urlPattern": "/a/[0-9]+"}, {"rule": r"\S+ (?:/a/[0-9]+)\Z"}),
        ({"urlPathPattern": "/a/.*"}, {"rule": r"\S+ (?:/a/.*)(?:\?|\Z)"}),
    ],
)
def test_the_four_url_forms(url: dict[str, str], rule: dict[str, str]) -> None:
    assert _preset({"request": {"method": "ANY", **url}, "response": {}})["rule"] == rule


def test_reply_features_take_the_wire_shapes() -> None:
    preset = _preset(
        {
            "scenarioName": "order",
            "requiredScenarioState": "Started",
            "newScenarioState": "paid",
            "priority": 3,
            "request": {"method": "POST", "urlPath": "/pay"},
            "response": {
                "status": 200,
                "body": "{{request.path.[0]}} {{request.query.id}} {{jsonPath request.body '$.n'}}",
                "headers": {"X-Id": "{{randomValue type='UUID'}}", "X-L": ["a", "b"]},
                "transformers": ["response-template"],
                "delayDistribution": {"type": "lognormal", "median": 80, "sigma": 0.4},
                "chunkedDribbleDelay": {"numberOfChunks": 5, "totalDuration": 1000},
            },
        }
    )
    assert preset["state"] == {"machine": "order", "requires": "start", "to": "paid"}
    assert preset["priority"] == 3
    assert preset["template"] is True
    body = base64.b64decode(preset["body"]).decode()
    assert body == (
        '{{ request.path.split(\'/\')[1] }} {{ request.query["id"] }} {{ jsonpath("$.n") }}'
    )
    assert preset["headers"] == {"X-Id": "{{ uuid() }}", "X-L": "a, b"}
    assert preset["delay"] == {"lognormal": {"median": 0.08, "sigma": 0.4}}
    assert preset["pacing"] == {"chunks": 5, "over": 1.0}


@pytest.mark.parametrize(
    ("fault", "ours"),
    [
        ("CONNECTION_RESET_BY_PEER", "reset"),
        ("EMPTY_RESPONSE", "empty"),
        ("RANDOM_DATA_THEN_CLOSE", "garbage"),
        ("MALFORMED_RESPONSE_CHUNK", "malformed_chunk"),
    ],
)
def test_faults(fault: str, ours: str) -> None:
    assert _preset({"request": {}, "response": {"fault": fault}})["fault"] == ours


def test_delays_bodies_and_proxies() -> None:
    fixed = _preset({"request": {}, "response": {"fixedDelayMilliseconds": 250, "jsonBody": [1]}})
    assert fixed["after"] == 0.25
    assert base64.b64decode(fixed["body"]) == b"[1]"
    uniform = _preset(
        {
            "request": {},
            "response": {"delayDistribution": {"type": "uniform", "lower": 10, "upper": 30}},
        }
    )
    assert uniform["delay"] == {"uniform": [0.01, 0.03]}
    proxied = _preset(
        {
            "request": {},
            "response": {
                "proxyBaseUrl": "http://127.0.0.1:9/up",
                "additionalProxyRequestHeaders": {"X-K": "1"},
                "removeProxyRequestHeaders": ["Cookie"],
            },
        }
    )
    assert proxied["proxy"] == {
        "to": "http://127.0.0.1:9/up",
        "add_headers": {"X-K": "1"},
        "remove_headers": ["Cookie"],
    }
    assert "status" not in proxied


def test_what_cannot_be_mapped_is_named() -> None:
    converted = convert_mapping(
        {
            "name": "odd",
            "postServeActions": [],
            "request": {"urlPath": "/x", "multipartPatterns": [], "headers": {"A": {"like": 1}}},
            "response": {"bodyFileName": "missing.json", "fault": "SOMETHING"},
        }
    )
    assert converted.stub == "odd"
    assert converted.unmapped == [
        "request.headers.A.like: not supported",
        "request.multipartPatterns: not supported",
        "response.bodyFileName: missing.json is not under __files",
        "response.fault: SOMETHING not supported",
        "postServeActions: not supported",
    ]
    assert convert_mapping("nonsense", 4).unmapped == ["not a JSON object"]


def test_templates_translate_where_simple_and_are_named_where_not() -> None:
    notes: list[str] = []
    text = translate_template(
        "{{now}} {{now format='yyyy-MM-dd'}} {{randomValue length=8 type='ALPHANUMERIC'}} "
        "{{request.headers.X-Id}} {{#if x}}y{{/if}} {% raw %}",
        notes,
    )
    assert text.startswith(
        '{{ now() }} {{ now("%Y-%m-%d") }} {{ random_string(8) }} {{ request.headers["X-Id"] }} '
    )
    assert '{{ "{{#if x}}" }}' in text  # kept as written, not run
    assert '{{ " {% raw %}" }}' in text
    assert notes == [
        "template: {{#if x}} not translated (sent as written)",
        "template: {{/if}} not translated (sent as written)",
    ]


def test_values_of_the_wrong_type_leave_the_mapping_out_saying_why() -> None:
    from pretenders.server.imports.wiremock import convert_mappings

    converted = convert_mappings([{"response": {"status": "abc"}}, {"request": {"method": 5}}])
    assert converted[0].preset is None
    assert converted[0].unmapped[0].startswith("not read: ValueError")
    assert converted[1].preset is not None
    assert converted[1].unmapped == ["request.method: 5 is not a method name"]
