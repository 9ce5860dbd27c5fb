"""``--load`` files with several replies and state machines."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.loader import LoadError
from pretenders.server.settings import Settings

FILE = """
mocks:
  - name: shop
    presets:
      - rule: GET /flaky
        replies:
          - {status: 503, body: busy}
          - {body: ok, headers: {X-Try: "2"}}
        times: FOREVER
      - rule: {method: POST, path: "/orders/{id}"}
        state: {machine: order, key: "path:id", to: created}
        status: 201
        times: FOREVER
      - rule: {method: GET, path: "/orders/{id}"}
        state: {machine: order, key: "path:id", requires: created}
        replies: [{body: created}]
        times: FOREVER
"""


def test_a_file_with_replies_and_state(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(FILE)
    settings = Settings(port=0, load=(str(path),))
    with EmbeddedServer(settings) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/mockhttp/shop/flaky").status_code == 503
        assert client.get("/mockhttp/shop/flaky").headers["X-Try"] == "2"
        assert client.get("/mockhttp/shop/orders/1").status_code == 404
        assert client.post("/mockhttp/shop/orders/1").status_code == 201
        assert client.get("/mockhttp/shop/orders/1").text == "created"
        listed = client.get("/preset/shop").json()
        assert listed[1]["state"] == {"machine": "order", "key": "path:id", "to": "created"}


def test_a_bad_state_in_a_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "mocks:\n  - name: m\n    presets:\n"
        "      - {rule: GET /x, state: {machine: m, key: 'path:id'}}\n"
        "      - {rule: GET /y, replies: [{body: a}], body: b}\n"
    )
    with pytest.raises(LoadError) as raised:
        EmbeddedServer(Settings(port=0, load=(str(path),))).start()
    text = str(raised.value)
    assert "preset #1: state.key path:id needs a path template" in text
    assert "preset #2: replies replaces the preset's own reply" in text
