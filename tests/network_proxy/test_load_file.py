"""Proxy presets in ``--load`` files: loaded and forwarding, or refused naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.loader import LoadError
from tests.network_proxy.upstream import Upstream


def _file(tmp_path: Path, proxy: dict[str, object]) -> Path:
    document = {"mocks": [{"name": "api", "presets": [{"proxy": proxy, "times": "FOREVER"}]}]}
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps(document))
    return path


def test_a_proxy_preset_loads_and_forwards(tmp_path: Path, upstream: Upstream) -> None:
    path = _file(tmp_path, {"to": upstream.url, "add_headers": {"X-From": "file"}})
    with EmbeddedServer(port=0, load=(str(path),)) as server:
        seen = httpx.get(f"{server.url}/mockhttp/api/echo").json()
    assert seen["headers"]["X-From"] == "file"


def test_a_bad_proxy_preset_is_named(tmp_path: Path) -> None:
    path = _file(tmp_path, {"to": "gopher://127.0.0.1"})
    with pytest.raises(LoadError, match=r"mock 'api', preset #1: proxy.to must be an http"):
        EmbeddedServer(port=0, load=(str(path),)).start()
