"""The limits of ``POST /http`` with presets: ``--max-presets`` bounds the list before
anything is created, and a store that refuses a preset midway leaves nothing behind."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.deployments.matrix import Deployed

pytestmark = pytest.mark.deployments


def preset(rule: str, body: bytes = b"x") -> dict[str, Any]:
    return {"rule": rule, "body": base64.b64encode(body).decode()}


@pytest.fixture
def limited(
    deployment: str,
    start_deployment: Callable[..., contextlib.AbstractContextManager[Deployed]],
) -> Iterator[httpx.Client]:
    """A server of the test's deployment kind holding at most 3 presets per mock and 2000
    preset bytes (the whole server's in memory, per mock on Redis)."""
    with (
        start_deployment(deployment, max_presets=3, preset_bytes=2000) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        yield client


def test_more_presets_than_max_presets_are_refused_first(limited: httpx.Client) -> None:
    refused = limited.post(
        "/http", json={"name": "too-many", "presets": [preset(f"GET /{i}") for i in range(4)]}
    )
    assert refused.status_code == 409, refused.text
    error = refused.json()["errors"][0]
    assert error["field"] == "presets"
    assert "--max-presets" in error["message"] and "4 given" in error["message"]
    assert limited.get("/http/too-many").status_code == 404
    assert limited.post("/http", json={"presets": [preset("GET /a")] * 3}).status_code == 200


def test_a_preset_past_the_byte_budget_leaves_no_mock(limited: httpx.Client) -> None:
    big = [preset("GET /a", b"a" * 800), preset("GET /b", b"b" * 800), preset("GET /c", b"c" * 800)]
    refused = limited.post("/http", json={"name": "over-budget", "presets": big})
    assert refused.status_code == 409, refused.text
    error = refused.json()["errors"][0]
    assert error["field"] == "presets[2]"
    assert "--preset-bytes" in error["message"]
    assert limited.get("/http/over-budget").status_code == 404
    # The budget given back: the same presets fit once the failed call is undone.
    assert limited.post("/http", json={"presets": big[:2]}).status_code == 200


def test_joining_a_mock_adds_its_presets_or_none(limited: httpx.Client) -> None:
    assert limited.post("/http", json={"name": "joined", "presets": [preset("GET /a")]}).is_success
    presets = [preset("GET /b"), preset("GET /c", b"c" * 1900)]
    refused = limited.post("/http", json={"name": "joined", "presets": presets})
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["field"] == "presets[1]"
    rules = [p["rule"] for p in limited.get("/preset/joined").json()]
    assert len(rules) == 1, rules
    added = limited.post("/http", json={"name": "joined", "presets": [preset("GET /b")]})
    assert added.status_code == 200
    assert len(limited.get("/preset/joined").json()) == 2


@pytest.mark.direct_only(reason="the test front does not relay megabyte bodies")
def test_the_admin_payload_limit_bounds_the_call(
    deployment: str,
    start_deployment: Callable[..., contextlib.AbstractContextManager[Deployed]],
) -> None:
    """The call's body is bounded as one preset's is: base64 of --max-body-size plus 1 MiB."""
    with (
        start_deployment(deployment, max_body_size=1000) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        many = [preset(f"GET /{i}", b"y" * 700) for i in range(1200)]
        refused = client.post("/http", json={"name": "too-long", "presets": many})
        assert refused.status_code == 413, refused.text
        assert "--max-body-size" in refused.text
        assert client.get("/http/too-long").status_code == 404
