"""--max-presets and --preset-bytes over real sockets, and GET /preset paged and streamed."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from pretenders.client.http import HTTPMock
from pretenders.common.exceptions import ConfigurationError
from pretenders.server.core.presets import PRESET_OVERHEAD
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.paging import SLICE_BYTES
from pretenders.server.server import parse_args, settings_from
from pretenders.server.settings import DEFAULT_MAX_PRESETS, DEFAULT_PRESET_BYTES
from tests.ui.conftest import csrf_tokens

MAX_PRESETS = 3
BODY = SLICE_BYTES
"""A reply body large enough that a list of a few presets is written in several slices."""
PRESET_BYTES = 3 * (BODY + PRESET_OVERHEAD + 200)


@pytest.fixture(scope="module")
def capped() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(max_presets=MAX_PRESETS, preset_bytes=PRESET_BYTES) as server:
        yield server


@pytest.fixture
def client(capped: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=capped.url, timeout=10) as client:
        yield client
        for kind in ("http", "smtp"):
            for mock in client.get(f"/{kind}").json():
                client.delete(f"/{kind}/{mock['name']}")


def new_mock(client: httpx.Client, kind: str = "http") -> str:
    return str(client.post(f"/{kind}", json={}).json()["id"])


def big(letter: str) -> str:
    return base64.b64encode(letter.encode() * BODY).decode()


def test_one_preset_past_max_presets_is_refused_naming_the_option(client: httpx.Client) -> None:
    mock_id = new_mock(client)
    for n in range(MAX_PRESETS):
        assert client.post(f"/preset/{mock_id}", json={"rule": f"GET /{n}"}).status_code == 200
    refused = client.post(f"/preset/{mock_id}", json={"rule": "GET /more"})

    assert refused.status_code == 409
    error = refused.json()["errors"][0]
    assert error["code"] == "too_many_presets"
    assert error["message"] == (
        "this mock already has 3 presets, the most one mock may hold: remove some "
        "(DELETE /preset/<id>) or start the server with a higher --max-presets"
    )
    assert len(client.get(f"/preset/{mock_id}").json()) == MAX_PRESETS  # nothing lost
    # Another mock has its own count; a used-up preset makes room.
    assert client.post(f"/preset/{new_mock(client)}", json={"rule": ""}).status_code == 200
    client.get(f"/mockhttp/{mock_id}/0")
    assert client.post(f"/preset/{mock_id}", json={"rule": "GET /more"}).status_code == 200


def test_scripted_smtp_replies_count_as_presets(client: httpx.Client) -> None:
    mock_id = new_mock(client, "smtp")
    script = {"stage": "rcpt", "status": 550, "times": "FOREVER"}
    for _ in range(MAX_PRESETS):
        assert client.post(f"/preset/{mock_id}", json=script).status_code == 200
    refused = client.post(f"/preset/{mock_id}", json=script)
    assert refused.status_code == 409
    assert "--max-presets" in refused.json()["errors"][0]["message"]


def test_preset_bytes_are_a_budget_of_the_whole_server(client: httpx.Client) -> None:
    first, second = new_mock(client), new_mock(client)
    for letter in "ab":
        assert client.post(f"/preset/{first}", json={"body": big(letter)}).status_code == 200
    assert client.post(f"/preset/{second}", json={"body": big("c")}).status_code == 200
    refused = client.post(f"/preset/{second}", json={"body": big("d")})

    assert refused.status_code == 409
    error = refused.json()["errors"][0]
    assert error["code"] == "preset_bytes_spent"
    counted = BODY + PRESET_OVERHEAD  # headers as given: none here
    assert error["message"].startswith(f"this preset counts {counted} bytes")
    assert error["message"].endswith(
        f"of the {PRESET_BYTES} bytes they may: remove some (DELETE /preset/<id>, or delete "
        "mocks) or start the server with a higher --preset-bytes"
    )
    client.delete(f"/preset/{first}")  # gives its bytes back
    assert client.post(f"/preset/{second}", json={"body": big("d")}).status_code == 200


def test_large_preset_lists_are_streamed_whole(client: httpx.Client) -> None:
    mock_id = new_mock(client)
    for letter in "abc":
        client.post(f"/preset/{mock_id}", json={"body": big(letter), "times": "FOREVER"})

    with client.stream("GET", f"/preset/{mock_id}") as answer:
        assert "Content-Length" not in answer.headers  # written as it is encoded
        chunks = list(answer.iter_raw())
    presets = json.loads(b"".join(chunks))
    assert [p["body"] for p in presets] == [big(letter) for letter in "abc"]
    assert len(chunks) > 1


def test_presets_are_paged(client: httpx.Client) -> None:
    mock_id = new_mock(client)
    for n in range(MAX_PRESETS):
        client.post(f"/preset/{mock_id}", json={"rule": f"GET /{n}", "times": "FOREVER"})
    client.get(f"/mockhttp/{mock_id}/0")

    first = client.get(f"/preset/{mock_id}", params={"limit": 2})
    assert [p["rule"]["rule"] for p in first.json()] == ["GET /0", "GET /1"]
    assert first.headers["X-Pretenders-Next-Offset"] == "2"
    rest = client.get(f"/preset/{mock_id}", params={"offset": 2, "limit": 2})
    assert [p["rule"]["rule"] for p in rest.json()] == ["GET /2"]
    assert "X-Pretenders-Next-Offset" not in rest.headers
    unused = client.get(f"/preset/{mock_id}", params={"unused": "true", "limit": 1})
    assert [p["rule"]["rule"] for p in unused.json()] == ["GET /1"]
    assert unused.headers["X-Pretenders-Next-Offset"] == "1"
    bad = client.get(f"/preset/{mock_id}", params={"limit": "0"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "limit")


def test_the_options_take_counts_and_zero_for_no_limit() -> None:
    default = settings_from(parse_args([]))
    assert (default.max_presets, default.preset_bytes) == (
        DEFAULT_MAX_PRESETS,
        DEFAULT_PRESET_BYTES,
    )
    chosen = settings_from(parse_args(["--max-presets", "5", "--preset-bytes", "0"]))
    assert (chosen.max_presets, chosen.preset_bytes) == (5, None)


def test_the_client_raises_the_refusal(capped: EmbeddedServer) -> None:
    mock = HTTPMock(capped.host, capped.port)
    try:
        for n in range(MAX_PRESETS):
            mock.when(f"GET /{n}").reply(b"")
        with pytest.raises(ConfigurationError, match="--max-presets"):
            mock.when("GET /more").reply(b"")
    finally:
        mock.delete_mock()
        mock.close()


def test_the_ui_form_shows_the_refusal(capped: EmbeddedServer, client: httpx.Client) -> None:
    mock_id = new_mock(client)
    for n in range(MAX_PRESETS):
        client.post(f"/preset/{mock_id}", json={"rule": f"GET /{n}"})
    page = f"/ui/http/{mock_id}"
    action = f"{page}/presets"
    token = csrf_tokens(client.get(page).text)[action]
    form = {"csrf_token": token, "rule": "GET /more", "status": "200", "times": "1"}

    refused = client.post(action, data=form, headers={"Origin": capped.url})  # as a browser

    assert refused.status_code == 409
    assert "start the server with a higher --max-presets" in refused.text
    assert len(client.get(f"/preset/{mock_id}").json()) == MAX_PRESETS
