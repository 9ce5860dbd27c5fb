"""Schemathesis against the served OpenAPI document: no 500s, every answer as documented.

The fuzz runs on a server of its own (it creates mocks and SMTP listeners by the
hundred). Path ids are drawn either by schemathesis or from two live mocks with history,
so that preset, history, count and wait payloads reach the code behind them rather than
stopping at "unknown mock". ``PRETENDERS_FUZZ_EXAMPLES`` sets the examples per operation
(40) for a deeper run, e.g. 500 with ``--timeout 0`` (a few minutes).

``/mockhttp/{id}/{path}`` is documented without operations (it answers whatever the
presets say, any method and any status), so schemathesis has nothing to check there;
the wire round-trip properties cover it instead (test_fuzz_wire.py).
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import AcceptedNegativeData

from pretenders.server.embedded import EmbeddedServer

pytestmark = pytest.mark.slow

HTTP_NAME = "fuzz-http"
SMTP_NAME = "fuzz-smtp"
LONGEST_WAIT = 0.05
"""Seconds: /wait on a live mock would otherwise hold the fuzz for up to 300 s a case."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            # A preset (and the filter of /count and /wait, the preset's rule) has dozens of
            # optional fields, nested: the coverage phase would walk every boundary of every
            # one (tens of thousands of cases). The fuzzing phase draws from them all.
            {
                "include-path-regex": "^/(preset|count|wait)/",
                "phases": {"coverage": {"enabled": False}},
            },
            # POST /http takes presets: the same rule again, in a list.
            {
                "include-path-regex": "^/http$",
                "include-method": "POST",
                "phases": {"coverage": {"enabled": False}},
            },
        ]
    }
)


class KnownMocks:
    """An HTTP and an SMTP mock with one record each, made again whenever the fuzz
    deletes them."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.url, timeout=10)

    def ensure(self) -> None:
        http = self.client.post("/http", json={"name": HTTP_NAME, "pretender_timeout": "FOREVER"})
        http.raise_for_status()
        if not self.client.get(f"/history/{HTTP_NAME}").json():
            # Without the fuzzed presets: one may reset the connection, or pace its body
            # over an hour, a byte at a time (never tripping the client's read timeout).
            self.client.delete(f"/preset/{HTTP_NAME}")
            self.client.post(f"/mockhttp/{HTTP_NAME}/seen?x=1", content=b"\xff\x00 seed")
        smtp = self.client.post("/smtp", json={"name": SMTP_NAME, "pretender_timeout": "FOREVER"})
        smtp.raise_for_status()
        if not self.client.get(f"/history/{SMTP_NAME}").json():
            host, port = smtp.json()["full_host"].rsplit(":", 1)
            with smtplib.SMTP(host, int(port), timeout=10) as session:
                session.sendmail("a@example.com", ["b@example.com"], b"Subject: seed\r\n\r\nhi\r\n")


@pytest.fixture(scope="module")
def fuzzed_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer() as running:
        yield running


@pytest.fixture(scope="module")
def known_mocks(fuzzed_server: EmbeddedServer) -> Iterator[KnownMocks]:
    known = KnownMocks(fuzzed_server)
    yield known
    known.client.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: EmbeddedServer) -> Any:
    loaded = schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json", config=CONFIG)

    @loaded.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not isinstance(path_parameters, dict):
            return st.just(path_parameters)
        likely = {"id": [HTTP_NAME, SMTP_NAME], "position": ["0", "-1"]}
        return st.fixed_dictionaries(
            {
                name: st.sampled_from([value, *likely.get(name, [])])
                for name, value in path_parameters.items()
            }
        )

    @loaded.hook
    def map_body(context: Any, body: Any) -> Any:
        operation = context.operation
        if operation is not None and operation.path == "/wait/{id}" and isinstance(body, dict):
            timeout = body.get("timeout")
            number = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
            if number and 0 <= timeout <= 300:  # a valid wait: shorten it; others must fail
                body = {**body, "timeout": min(timeout, LONGEST_WAIT)}
        return body

    @loaded.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        # A blank body counts as no body (all payload fields are optional), on purpose:
        # schemathesis sends whitespace as "invalid JSON" and expects a refusal.
        body = response.request.body
        blank = isinstance(body, (bytes, str)) and not body.strip()
        return not (isinstance(failure, AcceptedNegativeData) and blank)

    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.timeout(240)  # one test runs every operation's examples
@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("PRETENDERS_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_admin_api_answers_as_documented(case: Any, known_mocks: KnownMocks) -> None:
    known_mocks.ensure()
    case.call_and_validate(checks=CHECKS)
