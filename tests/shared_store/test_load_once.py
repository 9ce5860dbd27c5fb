"""A --load file on a shared store: a restart finds its mocks kept, and adds nothing twice."""

from __future__ import annotations

from pathlib import Path

import httpx

from pretenders.server.embedded import EmbeddedServer
from tests.deployments.redis_server import RedisServer

MOCKS = """
mocks:
  - name: weather
    presets:
      - rule: GET /today
        body: sunny
        times: FOREVER
"""


def test_a_restart_with_the_same_file_keeps_the_mocks_as_they_are(tmp_path: Path) -> None:
    file = tmp_path / "mocks.yaml"
    file.write_text(MOCKS)
    with RedisServer(tmp_path / "redis") as redis:
        for _ in range(2):
            with EmbeddedServer(store=redis.url(0), load=(str(file),)) as server:
                presets = httpx.get(f"{server.url}/preset/weather").json()
                assert [p["rule"]["rule"] for p in presets] == ["GET /today"]
