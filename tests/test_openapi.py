"""The served OpenAPI document describes exactly the routes the server has."""

from __future__ import annotations

import re

import httpx
import msgspec

from pretenders.server.app import create_app
from pretenders.server.core.rule_spec import RuleSpec


def served_routes() -> set[tuple[str, str]]:
    routes = set()
    for route in create_app().router.routes():
        path = route.resource.canonical if route.resource else ""
        routes.add((route.method.lower(), path))
    return routes


def test_every_admin_route_is_documented_and_nothing_else(admin: httpx.Client) -> None:
    document = admin.get("/openapi.json").json()
    documented = {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "delete", "patch"}
    }
    served = {
        (method, path)
        for method, path in served_routes()
        # The mock endpoint is documented apart; the web UI is not part of the admin API.
        if not path.startswith(("/mockhttp/", "/ui/"))
        and path not in ("/openapi.json", "/")
        and method != "head"
    }
    assert documented == served


def test_mock_endpoint_is_documented(admin: httpx.Client) -> None:
    assert "/mockhttp/{id}/{path}" in admin.get("/openapi.json").json()["paths"]


def test_schemas_are_resolvable(admin: httpx.Client) -> None:
    document = admin.get("/openapi.json").json()
    text = str(document)
    for name in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert name in document["components"]["schemas"]
    preset = document["components"]["schemas"]["PresetIn"]["properties"]
    assert set(preset) == {
        *("rule", "status", "headers", "body", "times", "after", "priority"),
        *("template", "body_file"),
        *("fault", "pacing", "delay"),
        *("weight", "replies", "pick", "seed", "state"),
        *("webhooks",),
        *("proxy",),
    }


def test_diagnostics_routes_and_filters_are_documented(admin: httpx.Client) -> None:
    document = admin.get("/openapi.json").json()
    paths = document["paths"]
    assert paths["/count/{id}"]["post"]["requestBody"]
    assert paths["/wait/{id}"]["post"]["requestBody"]
    history = {p["name"] for p in paths["/history/{id}"]["get"]["parameters"] if p["in"] == "query"}
    assert history == {"method", "url", "matched", "to", "subject", "offset", "limit"}
    presets = paths["/preset/{id}"]["get"]["parameters"]
    assert {p["name"]: p["required"] for p in presets if p["in"] == "query"} == {
        "unused": False,
        "offset": False,
        "limit": False,
    }
    wait = document["components"]["schemas"]["WaitIn"]["properties"]
    rule_fields = {field.encode_name for field in msgspec.structs.fields(RuleSpec)}
    assert {"rule", "headers", "body", "data", "query", "json", "not"} <= rule_fields
    assert set(wait) == rule_fields | {"to", "subject", "count", "timeout"}
