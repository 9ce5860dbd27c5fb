"""What the client sends, without a server: 1.4's payloads unchanged, each keyword and
matcher as the wire's rule field."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from pretenders.client import _operations as ops
from pretenders.client import matchers as m
from pretenders.client._admin import Call
from pretenders.client._rules import WIRE_NAMES, RuleKeywords
from pretenders.client.presets import when
from pretenders.client.replies import Reply
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.wire.inputs import PresetIn


def test_a_1_4_rule_is_sent_as_1_4_sent_it() -> None:
    assert ops.rule_payload("GET /x", {"X-A": "b"}, ".*qty", None) == {
        "rule": "GET /x",
        "headers": {"X-A": "b"},
        "body": ".*qty",
        "data": None,
    }


def _preset_sent(priority: int | None) -> dict[str, Any]:
    payload = ops.preset_payload({"rule": ""}, "hi", 200, None, 1, 0, priority=priority)
    operation = ops.add_preset("m", payload)
    call = next(operation)
    assert isinstance(call, Call)
    operation.close()
    assert isinstance(call.json, dict)
    return call.json


def test_priority_is_sent_only_when_given() -> None:
    assert "priority" not in _preset_sent(None)
    assert _preset_sent(3)["priority"] == 3


def test_a_keyword_reply_does_not_take_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'priorty'"):
        ops.preset_payload("", priorty=1)  # type: ignore[call-arg]


def test_a_preset_given_at_creation_takes_every_keyword_reply_takes() -> None:
    preset = when("GET /a").reply(template=True, fault="reset", replies=[Reply("x")])
    assert preset.payload["template"] is True
    assert preset.payload["fault"] == "reset"
    assert preset.payload["replies"] == [Reply("x").wire()]
    assert "body" not in preset.payload  # the preset's own reply gives way to its replies


def test_every_keyword_has_a_wire_field_of_the_rule_model() -> None:
    assert set(WIRE_NAMES) == set(RuleKeywords.__annotations__)
    model = {f.encode_name for f in msgspec.structs.fields(RuleSpec)}
    assert set(WIRE_NAMES.values()) <= model


def test_matchers_become_value_conditions_the_server_decodes() -> None:
    rule = ops.rule_payload(
        "",
        {"Authorization": m.regex("Bearer .+"), "X-Plain": "1"},
        None,
        None,
        {
            "method": "post",
            "path": "/users/{id}",
            "path_params": {"id": m.regex(r"\d+")},
            "query": {"tag": ["a", m.contains("b")], "debug": m.absent(), "n": m.ge(1) & m.lt(9)},
            "cookies": {"s": m.present()},
            "json": {"name": "Ann"},
            "json_partial": True,
            "json_any_order": True,
            "jsonpath": {"$.ok": True, "$.n": m.gt(3), "$.tags": ["a"]},
            "json_schema": {"type": "object"},
            "xml": "<a/>",
            "xpath": {"/a/b": m.not_("x") | "y"},
            "namespaces": {"s": "urn:s"},
            "parts": [m.part("f", filename="a.txt", content=m.contains("hi"))],
            "all_of": [m.rule(method="POST")],
            "any_of": [m.rule("GET /a"), {"query": {"q": "1"}}],
            "not_": m.rule(headers={"X-Test": m.present()}),
        },
    )
    assert rule["headers"] == {"Authorization": {"matches": "Bearer .+"}, "X-Plain": "1"}
    assert rule["query"]["n"] == {"all": [{"ge": 1}, {"lt": 9}]}
    assert rule["jsonpath"] == {
        "$.ok": {"equals": True},
        "$.n": {"gt": 3},
        "$.tags": {"equals": ["a"]},
    }
    assert rule["xpath"] == {"/a/b": {"any": [{"not": "x"}, "y"]}}
    assert rule["json_ignore_extra"] is rule["json_ignore_order"] is True
    assert rule["any"] == [{"rule": "GET /a"}, {"query": {"q": "1"}}]
    assert rule["not"] == {"headers": {"X-Test": {"absent": False}}}
    decoded = msgspec.json.decode(msgspec.json.encode({"rule": rule}), type=PresetIn)
    assert isinstance(decoded.rule, RuleSpec)
    assert decoded.rule.parts is not None and decoded.rule.parts[0].filename == "a.txt"


def test_an_unknown_keyword_is_a_type_error_listing_the_known_ones() -> None:
    with pytest.raises(TypeError, match=r"jsn.*json_partial"):
        ops.rule_payload("", None, None, None, {"jsn": {}})
