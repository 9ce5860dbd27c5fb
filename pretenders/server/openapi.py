"""The OpenAPI document of the admin API, written from the same route table that serves it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import msgspec

from pretenders import __version__
from pretenders.server import wire
from pretenders.server.admin import OneOf, Route

_PARAMETER = re.compile(r"{(\w+)}")
_REF = "#/components/schemas/{name}"

_PARAMETER_DOCS = {
    "id": "The mock's id (its name, when it was given one)",
    "position": "Position among the kept records: 0 is the oldest kept, -1 the latest",
    "path": "Any path below the mock, with its query string",
}


SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "The server's admin token (--admin-token or PRETENDERS_ADMIN_TOKEN), "
        "asked for only when the server has one",
    },
    "token_header": {"type": "apiKey", "in": "header", "name": "X-Pretenders-Token"},
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "For browsers: any user name, the admin token as password",
    },
}


def _parameters(route: Route) -> list[dict[str, Any]]:
    found = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": _PARAMETER_DOCS[name],
        }
        for name in _PARAMETER.findall(route.path)
    ]
    found += [
        {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
        for name in route.query
    ]
    found += [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": route.option_schemas.get(name, {"type": "string"}),
            "description": description,
        }
        for name, description in route.options.items()
    ]
    return found


def build_openapi(routes: Sequence[Route], extra_paths: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.1 document describing ``routes`` (plus ``extra_paths`` as given)."""
    types: list[Any] = [wire.ErrorOut]
    for route in routes:
        for documented in (route.request, route.response):
            if isinstance(documented, OneOf):
                types += documented.types
            elif documented is not None:
                types.append(documented)
    schemas, components = msgspec.json.schema_components(types, ref_template=_REF)
    by_type = dict(zip(map(repr, types), schemas, strict=True))

    def schema_of(documented: Any) -> dict[str, Any]:
        if not isinstance(documented, OneOf):
            return by_type[repr(documented)]
        one_of = {"oneOf": [by_type[repr(t)] for t in documented.types]}
        return {"type": "array", "items": one_of} if documented.many else one_of

    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        responses: dict[str, Any] = {"200": {"description": "OK"}}
        if route.response is not None:
            responses["200"]["content"] = {
                "application/json": {"schema": schema_of(route.response)}
            }
        if route.headers:
            responses["200"]["headers"] = {
                name: {"description": description, "schema": {"type": "integer"}}
                for name, description in route.headers.items()
            }
        for status in route.errors:
            responses[str(status)] = {
                "description": "The request was refused; the message says why",
                "content": {"application/json": {"schema": schema_of(wire.ErrorOut)}},
            }
        if not route.public:
            responses["401"] = {
                "description": "The server has an admin token and the call did not send it",
                "content": {"application/json": {"schema": schema_of(wire.ErrorOut)}},
            }
            responses["403"] = {
                "description": "A browser sent it from a page of another site (Origin, "
                "Sec-Fetch-Site), or it names the server by a name it does not answer to "
                "(Host; see --allowed-host)",
                "content": {"application/json": {"schema": schema_of(wire.ErrorOut)}},
            }
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": f"{route.method.lower()}_{_operation_name(route.path)}",
            "responses": responses,
        }
        parameters = _parameters(route)
        if parameters:
            operation["parameters"] = parameters
        if route.public:
            operation["security"] = []
        if route.request is not None:
            operation["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": schema_of(route.request)}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    paths.update(extra_paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pretenders admin API",
            "version": __version__,
            "description": "Create fake HTTP and SMTP services, preset their replies and read "
            "back what they received. Compatible with the pretenders 1.4 wire protocol.",
        },
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
        "security": [{name: []} for name in SECURITY_SCHEMES],
    }


def _operation_name(path: str) -> str:
    words = [part.strip("{}") for part in path.strip("/").split("/") if part]
    return "_".join(words) or "root"
