"""A WireMock mappings folder and a mountebank imposter file, imported through the admin
API, answer over real sockets as their originals would."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pretenders.server.imports import read_mappings_folder
from tests.network_imports.helpers import MOUNTEBANK_FILE, WIREMOCK_ROOT, Case

WIREMOCK_CASES = [
    pytest.param(Case("GET", "/users/7", 200, b'{"id":1,"name":"Ann"}'), id="path-template"),
    pytest.param(Case("GET", "/users/abc", 404), id="path-parameter-refused"),
    pytest.param(Case("GET", "/search?q=tea&page=2", 200, b"results for tea"), id="query"),
    pytest.param(Case("GET", "/search?q=tea&page=x", 404), id="query-refused"),
    pytest.param(Case("GET", "/health?verbose=true", 200, b"ok, verbosely"), id="url"),
    pytest.param(Case("GET", "/health", 404), id="url-exact"),
    pytest.param(Case("GET", "/files/notes.txt", 200, b"a text file"), id="url-pattern"),
    pytest.param(
        Case("GET", "/secure", 200, b"welcome", headers={"Authorization": "Bearer t0k3n"}),
        id="header-priority",
    ),
    pytest.param(Case("GET", "/secure", 401, b"who are you?"), id="lower-priority"),
    pytest.param(
        Case(
            "POST",
            "/orders",
            201,
            b'{"order":42}',
            content=b'{"qty": 2, "item": "tea", "note": "extra"}',
            reply_headers={"Location": "/orders/42"},
        ),
        id="equal-to-json",
    ),
    pytest.param(
        Case("POST", "/orders", 202, b"express order", content=b'{"express": true}'),
        id="json-path",
    ),
    pytest.param(Case("GET", "/catalogue", 200, b'{"items": ["tea", "cake"]}\n'), id="body-file"),
    pytest.param(Case("GET", "/slow", 200, b"late", slower_than=0.2), id="fixed-delay"),
    pytest.param(
        Case(
            "GET",
            "/logo.png",
            200,
            b"\x89PNG\r\n\x1a\n\x00\xff",
            reply_headers={"Content-Type": "image/png"},
        ),
        id="base64-body",
    ),
    pytest.param(
        Case("GET", "/prefs", 200, b"prefs of abc", headers={"Cookie": "session=abc"}),
        id="cookie",
    ),
    pytest.param(
        Case("GET", "/basic", 200, b"basic ok", headers={"Authorization": "Basic YW5uOnB3"}),
        id="basic-auth",
    ),
    pytest.param(Case("DELETE", "/api/v2/ping", 200, b"pong"), id="any-method-path-pattern"),
    pytest.param(
        Case("GET", "/feed", 200, b"<feed/>", headers={"Accept": "application/xml"}),
        id="header-contains",
    ),
    pytest.param(
        Case(
            "GET",
            "/echo/tea?x=1",
            200,
            b"you asked for tea with x=1",
            reply_headers={"X-Method": "GET"},
        ),
        id="template-path-query",
    ),
    pytest.param(
        Case("POST", "/greet", 200, body_contains="Hello Ann, id ", content=b'{"name": "Ann"}'),
        id="template-json-path",
    ),
    pytest.param(
        Case("GET", "/jittery", 200, b"eventually", slower_than=0.01),
        id="delay-distribution",
    ),
]

MOUNTEBANK_CASES = [
    pytest.param(Case("GET", "/users/1", 200, b'{"id":1,"name":"Ann"}'), id="equals"),
    pytest.param(Case("GET", "/search?q=cake", 200, b"only cake"), id="deep-equals-query"),
    pytest.param(Case("GET", "/search?q=TEA", 200, b"results for tea"), id="equals-any-case"),
    pytest.param(
        Case("POST", "/tickets", 201, b"urgent ticket", content=b"this is URGENT, please"),
        id="contains-body",
    ),
    pytest.param(Case("GET", "/tickets", 404, b"not in the imposter"), id="default-response"),
    pytest.param(
        Case(
            "GET",
            "/static/app.js",
            200,
            b"static file",
            reply_headers={"Cache-Control": "max-age=60"},
        ),
        id="starts-with",
    ),
    pytest.param(Case("GET", "/export/all.csv", 200, b"a,b\n1,2"), id="ends-with"),
    pytest.param(Case("GET", "/items/12", 200, b"an item"), id="matches"),
    pytest.param(Case("GET", "/items/12/parts", 404), id="matches-anchored"),
    pytest.param(Case("GET", "/me", 200, b"you", headers={"Authorization": "x"}), id="exists"),
    pytest.param(Case("GET", "/me", 401, b"log in"), id="not-exists"),
    pytest.param(Case("GET", "/b", 200, b"a or b"), id="or"),
    pytest.param(Case("GET", "/mode", 200, b"fast mode", headers={"X-Mode": "fast"}), id="header"),
    pytest.param(
        Case("POST", "/orders", 201, b"tea order", content=b'{"item": "Tea", "qty": 1}'),
        id="jsonpath",
    ),
    pytest.param(
        Case("POST", "/orders", 201, b"cake order", content=b'{"item": "cake", "qty": 3}'),
        id="json-body-subset",
    ),
    pytest.param(Case("GET", "/slow", 200, b"late", slower_than=0.2), id="wait"),
]


def _import(admin: httpx.Client, mock_id: str, form: str, document: Any) -> dict[str, Any]:
    answer = admin.post(f"/import/{mock_id}", params={"format": form}, json=document)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _wiremock_document() -> list[dict[str, Any]]:
    mappings, files = read_mappings_folder(WIREMOCK_ROOT)
    for mapping in mappings:  # the API takes bodies inline: __files travel with the CLI
        name = mapping["response"].pop("bodyFileName", None)
        if name is not None:
            mapping["response"]["body"] = files[name].decode()
    return mappings


@pytest.fixture(scope="module")
def wiremock_mock(server: Any) -> str:
    with httpx.Client(base_url=server.url) as admin:
        mock_id = admin.post("/http", json={"name": "imported-wiremock"}).json()["id"]
        _import(admin, mock_id, "wiremock", {"mappings": _wiremock_document()})
    return str(mock_id)


@pytest.fixture(scope="module")
def mountebank_mock(server: Any) -> str:
    with httpx.Client(base_url=server.url) as admin:
        mock_id = admin.post("/http", json={"name": "imported-mountebank"}).json()["id"]
        _import(admin, mock_id, "mountebank", json.loads(MOUNTEBANK_FILE.read_text()))
    return str(mock_id)


def _check(admin: httpx.Client, mock_id: str, case: Case) -> None:
    started = time.monotonic()
    answer = admin.request(
        case.method, f"/mockhttp/{mock_id}{case.path}", headers=case.headers, content=case.content
    )
    late = time.monotonic() - started
    assert answer.status_code == case.status, answer.text
    if case.body is not None:
        assert answer.content == case.body
    if case.body_contains is not None:
        assert case.body_contains in answer.text
    for name, value in case.reply_headers.items():
        assert answer.headers[name] == value
    assert late >= case.slower_than


@pytest.mark.parametrize("case", WIREMOCK_CASES)
def test_wiremock_stubs_answer_as_wiremock_would(
    admin: httpx.Client, wiremock_mock: str, case: Case
) -> None:
    _check(admin, wiremock_mock, case)


@pytest.mark.parametrize("case", MOUNTEBANK_CASES)
def test_mountebank_stubs_answer_as_mountebank_would(
    admin: httpx.Client, mountebank_mock: str, case: Case
) -> None:
    _check(admin, mountebank_mock, case)


def test_a_wiremock_scenario_moves_on(admin: httpx.Client, new_mock: Callable[..., str]) -> None:
    mock_id = new_mock()
    cart = [m for m in _wiremock_document() if m["name"].startswith("cart-")]
    result = _import(admin, mock_id, "wiremock", cart)
    assert result["added"] == 3, result
    assert admin.get(f"/mockhttp/{mock_id}/cart").text == "empty"
    assert admin.post(f"/mockhttp/{mock_id}/cart").status_code == 204
    assert admin.get(f"/mockhttp/{mock_id}/cart").text == "one item"


def test_mountebank_responses_cycle_and_repeat(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    imposter = json.loads(MOUNTEBANK_FILE.read_text())["imposters"][0]
    stubs = [
        s
        for s in imposter["stubs"]
        if s["predicates"][0].get("equals", {}).get("path") in ("/flaky", "/retry")
    ]
    result = _import(admin, mock_id, "mountebank", {"stubs": stubs})
    assert result["added"] == 2, result
    flaky = [admin.get(f"/mockhttp/{mock_id}/flaky").status_code for _ in range(3)]
    retry = [admin.get(f"/mockhttp/{mock_id}/retry").status_code for _ in range(4)]
    assert flaky == [503, 200, 503]
    assert retry == [500, 500, 200, 500]


@pytest.mark.parametrize("form", ["wiremock", "mountebank"])
def test_faults_reset_the_connection(
    admin: httpx.Client, new_mock: Callable[..., str], form: str
) -> None:
    mock_id = new_mock()
    if form == "wiremock":
        document: Any = [m for m in _wiremock_document() if m["name"] == "broken"]
    else:
        imposter = json.loads(MOUNTEBANK_FILE.read_text())["imposters"][0]
        document = {"stubs": [s for s in imposter["stubs"] if "fault" in s["responses"][0]]}
    assert _import(admin, mock_id, form, document)["added"] == 1
    with pytest.raises(httpx.TransportError):
        admin.get(f"/mockhttp/{mock_id}/broken")


def test_what_could_not_be_mapped_is_named_per_stub(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    wiremock = _import(admin, mock_id, "wiremock", _wiremock_document())
    mountebank = _import(admin, mock_id, "mountebank", json.loads(MOUNTEBANK_FILE.read_text()))

    named = {stub["stub"]: stub for stub in wiremock["stubs"]}
    assert named["unmappable"]["unmapped"] == [
        "request.multipartPatterns: not supported",
        "response.transformers: my-extension not supported",
    ]
    assert named["unmappable"]["preset"] is not None
    injected = mountebank["stubs"][17]
    assert injected["unmapped"] == ["responses[0].inject: not supported"]
    assert all("unmapped" not in stub for stub in mountebank["stubs"][:17])


@pytest.mark.parametrize(
    ("params", "body", "named"),
    [
        ({"format": "soapui"}, b"{}", "format"),
        ({}, b"{}", "format"),
        ({"format": "wiremock"}, b"{not json", "JSON"),
    ],
)
def test_bad_imports_are_refused(
    admin: httpx.Client,
    new_mock: Callable[..., str],
    params: dict[str, str],
    body: bytes,
    named: str,
) -> None:
    mock_id = new_mock()
    answer = admin.post(f"/import/{mock_id}", params=params, content=body)
    assert answer.status_code == 400
    assert named in answer.text
    assert admin.post("/import/nobody", params={"format": "wiremock"}, json=[]).status_code == 404
