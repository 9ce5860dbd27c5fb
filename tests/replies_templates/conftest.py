"""A server with a root for body files, and helpers to add templated presets over HTTP."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer

LIMIT = 256 * 1024
"""The servers' --max-body-size here: small, so that the size bounds are quick to reach."""


@pytest.fixture(scope="module")
def files_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fixtures")
    (root / "greeting.txt").write_text("hello from a file\n")
    return root


@pytest.fixture(scope="module")
def templated_server(files_root: Path) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(files_root=str(files_root), max_body_size=LIMIT) as running:
        yield running


@pytest.fixture
def client(templated_server: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=templated_server.url, timeout=10) as opened:
        yield opened


@pytest.fixture
def mock_id(client: httpx.Client) -> Iterator[str]:
    created = client.post("/http", json={})
    assert created.status_code == 200, created.text
    mock = str(created.json()["id"])
    yield mock
    client.delete(f"/http/{mock}")


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


Preset = Callable[..., httpx.Response]


@pytest.fixture
def preset(client: httpx.Client, mock_id: str) -> Preset:
    """``preset(body_text, **fields)``: add a templated preset (FOREVER); the response."""

    def add(body: str = "", **fields: Any) -> httpx.Response:
        payload: dict[str, Any] = {"template": True, "times": "FOREVER", **fields}
        payload["body"] = b64(body)
        return client.post(f"/preset/{mock_id}", json=payload)

    return add


@pytest.fixture
def served(client: httpx.Client, mock_id: str) -> Callable[..., httpx.Response]:
    """``served(method, path, **httpx_options)``: a request to the mock."""

    def send(method: str, path: str, **options: Any) -> httpx.Response:
        return client.request(method, f"/mockhttp/{mock_id}{path}", **options)

    return send
