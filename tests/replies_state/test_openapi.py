"""The state routes and the preset fields of sequences and state in the OpenAPI document."""

from __future__ import annotations

import httpx


def test_the_state_routes_are_documented(admin: httpx.Client) -> None:
    document = admin.get("/openapi.json").json()
    routes = document["paths"]["/state/{id}"]
    assert set(routes) == {"get", "put", "delete"}
    assert routes["put"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StateIn"
    }
    assert {"400", "404", "409"} <= set(routes["put"]["responses"])
    options = {p["name"] for p in routes["delete"]["parameters"] if p["in"] == "query"}
    assert options == {"machine", "key"}
    schemas = document["components"]["schemas"]
    assert set(schemas["StateIn"]["properties"]) == {"machine", "key", "state"}
    assert set(schemas["StateSpec"]["properties"]) == {"machine", "key", "requires", "to"}
    preset = schemas["PresetIn"]["properties"]
    assert {"replies", "pick", "seed", "state"} <= set(preset)
    assert {"replies", "pick", "seed", "state"} <= set(schemas["PresetOut"]["properties"])
