"""Without the ``ui`` extra (no jinja2) the server runs, and ``/`` says how to get the UI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]

# jinja2 in sys.modules as None makes every `import jinja2` fail, as if not installed.
SCRIPT = """
import json, sys
sys.modules["jinja2"] = None
import httpx
from pretenders.server.embedded import EmbeddedServer
with EmbeddedServer() as server:
    home = httpx.get(server.url + "/")
    page = httpx.get(server.url + "/ui/http/x")
    api = httpx.post(server.url + "/http", json={"name": "still-works"})
print(json.dumps({
    "home": [home.status_code, home.text, home.headers.get("Content-Security-Policy", "")],
    "page": page.status_code,
    "api": api.json(),
    "loaded": sorted(m for m in sys.modules if m.startswith("pretenders.server.ui")),
}))
"""


def test_root_says_how_to_install_the_ui() -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=ROOT,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    status, text, policy = result["home"]
    assert status == 200
    assert "pip install 'pretenders[ui]'" in text
    assert "default-src 'none'" in policy
    assert result["page"] == 404
    assert result["api"] == {"id": "still-works", "path": "/mockhttp/still-works"}
    assert "pretenders.server.ui.views" not in result["loaded"]
