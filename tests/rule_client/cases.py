"""One case per rule field: the client's ``when(...)`` arguments, a request that matches,
a near miss, and the field the near miss names (its ``Difference.field`` starts so)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pretenders.client import matchers as m


@dataclass(frozen=True)
class Request:
    """What httpx sends: ``path`` below the mock, then ``httpx.request``'s keywords."""

    method: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[Any, ...]
    keywords: dict[str, Any]
    hit: Request
    miss: Request
    field: str


def _get(path: str, **options: Any) -> Request:
    return Request("GET", path, options)


def _post(path: str, **options: Any) -> Request:
    return Request("POST", path, options)


PLAIN = [
    Case("method", (), {"method": "delete"}, Request("DELETE", "/x"), _get("/x"), "method"),
    Case(
        "path",
        (),
        {"path": "/users/{id}"},
        _get("/users/42"),
        _get("/users/42/orders"),
        "path",
    ),
    Case("path_rest", (), {"path": "/files/{rest*}"}, _get("/files/a/b"), _get("/file/a"), "path"),
    Case(
        "path_params",
        (),
        {"path": "/users/{id}", "path_params": {"id": m.regex(r"\d+")}},
        _get("/users/42"),
        _get("/users/ann"),
        "path parameter id",
    ),
    Case(
        "query",
        (),
        {"query": {"page": "2", "sort": "name"}},
        _get("/list?sort=name&page=2"),
        _get("/list?page=3&sort=name"),
        "query page",
    ),
    Case(
        "query_absent",
        (),
        {"query": {"debug": m.absent()}},
        _get("/list?page=1"),
        _get("/list?debug=1"),
        "query debug",
    ),
    Case(
        "query_many",
        (),
        {"query": {"tag": ["a", "b"]}},
        _get("/list?tag=b&tag=a"),
        _get("/list?tag=a"),
        "query tag",
    ),
    Case(
        "query_numbers",
        (),
        {"query": {"n": m.gt(3) & m.le(10)}},
        _get("/list?n=4"),
        _get("/list?n=3"),
        "query n",
    ),
    Case(
        "query_any_of",
        (),
        {"query": {"v": m.any_of("a", "b")}},
        _get("/list?v=b"),
        _get("/list?v=c"),
        "query v",
    ),
    Case(
        "header_regex",
        (),
        {"headers": {"Authorization": m.regex("Bearer .+")}},
        _get("/me", headers={"Authorization": "Bearer abc"}),
        _get("/me", headers={"Authorization": "Basic abc"}),
        "header Authorization",
    ),
    Case(
        "header_contains_not",
        (),
        {"headers": {"User-Agent": ~m.contains("bot")}},
        _get("/me", headers={"User-Agent": "browser"}),
        _get("/me", headers={"User-Agent": "a bot"}),
        "header User-Agent",
    ),
    Case(
        "header_present",
        (),
        {"headers": {"X-Request-Id": m.present()}},
        _get("/me", headers={"X-Request-Id": "7"}),
        _get("/me"),
        "header X-Request-Id",
    ),
    Case(
        "header_exact_1_4",
        ("GET /me",),
        {"headers": {"X-Token": "abc"}, "query": {"v": "1"}},
        _get("/me?v=1", headers={"X-Token": "abc"}),
        _get("/me?v=1", headers={"X-Token": "abd"}),
        "header X-Token",
    ),
    Case(
        "cookies",
        (),
        {"cookies": {"session": "abc"}},
        _get("/me", headers={"Cookie": "theme=dark; session=abc"}),
        _get("/me", headers={"Cookie": "session=abd"}),
        "cookie session",
    ),
    Case(
        "all_of",
        (),
        {"all_of": [m.rule(method="POST"), m.rule(query={"a": "1"})]},
        _post("/x?a=1"),
        _post("/x?a=2"),
        "all[1]",
    ),
    Case(
        "any_of",
        (),
        {"any_of": [m.rule(query={"q": m.present()}), m.rule(headers={"X-Q": m.present()})]},
        _get("/search", headers={"X-Q": "cats"}),
        _get("/search"),
        "any",
    ),
    Case(
        "not_",
        ("GET /x",),
        {"not_": m.rule(headers={"X-Test": m.present()})},
        _get("/x"),
        _get("/x", headers={"X-Test": "1"}),
        "not",
    ),
]

JSON = [
    Case(
        "json",
        (),
        {"json": {"name": "Ann", "tags": ["a", "b"]}},
        _post("/users", json={"tags": ["a", "b"], "name": "Ann"}),
        _post("/users", json={"tags": ["a", "b"], "name": "Bob"}),
        "json",
    ),
    Case(
        "json_partial",
        (),
        {"json": {"name": "Ann"}, "json_partial": True},
        _post("/users", json={"name": "Ann", "age": 3}),
        _post("/users", json={"age": 3}),
        "json",
    ),
    Case(
        "json_any_order",
        (),
        {"json": [1, 2, 3], "json_any_order": True},
        _post("/ids", json=[3, 1, 2]),
        _post("/ids", json=[1, 2]),
        "json",
    ),
    Case(
        "jsonpath",
        (),
        {"jsonpath": {"$.order.items[0].sku": "A1", "$.order.total": m.gt(10)}},
        _post("/orders", json={"order": {"items": [{"sku": "A1"}], "total": 12}}),
        _post("/orders", json={"order": {"items": [{"sku": "A1"}], "total": 5}}),
        "jsonpath",
    ),
    Case(
        "json_schema",
        (),
        {
            "json_schema": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer"}},
            }
        },
        _post("/things", json={"id": 1}),
        _post("/things", json={"id": "one"}),
        "json schema",
    ),
]

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ORDERS = "urn:example:orders"


def _envelope(order_id: str) -> str:
    return (
        f'<s:Envelope xmlns:s="{SOAP}"><s:Body><o:order xmlns:o="{ORDERS}">'
        f"<o:id>{order_id}</o:id></o:order></s:Body></s:Envelope>"
    )


XML = [
    Case(
        "xml",
        (),
        {"xml": "<a><b>1</b></a>"},
        _post("/x", content=b"<a>\n  <b>1</b>\n</a>"),
        _post("/x", content=b"<a><b>2</b></a>"),
        "xml",
    ),
    Case(
        "xpath",
        (),
        {"xpath": {"/s:Envelope/s:Body/o:order/o:id": "7"}, "namespaces": {"s": SOAP, "o": ORDERS}},
        _post("/soap", content=_envelope("7").encode()),
        _post("/soap", content=_envelope("8").encode()),
        "xpath",
    ),
]

PARTS = [
    Case(
        "parts",
        (),
        {
            "parts": [
                m.part(
                    "file", filename="a.txt", content_type="text/plain", content=m.contains("hi")
                )
            ]
        },
        _post("/upload", files={"file": ("a.txt", b"hi there", "text/plain")}),
        _post("/upload", files={"file": ("b.txt", b"hi there", "text/plain")}),
        "part",
    ),
]

CASES = [
    *(pytest.param(case, id=case.name) for case in PLAIN),
    *(pytest.param(case, id=case.name) for case in (*JSON, *XML, *PARTS)),
]
