"""The pretenders 1.4.5 client, as published on PyPI, works against this server unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pretenders.server.embedded import EmbeddedServer

LEGACY = "pretenders==1.4.5"


@pytest.fixture(scope="session")
def legacy_client(request: pytest.FixtureRequest) -> Path:
    """The 1.4.5 wheel from PyPI, unpacked (cached between runs)."""
    cache = Path(request.config.cache.mkdir("pretenders-1.4.5"))
    unpacked = cache / "unpacked"
    if not (unpacked / "pretenders" / "client" / "http.py").exists():
        download = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), LEGACY],
            capture_output=True,
            text=True,
            timeout=120,
        )
        wheels = list(cache.glob("pretenders-1.4.5-*.whl"))
        if download.returncode != 0 or not wheels:
            pytest.skip(f"cannot download {LEGACY} from PyPI: {download.stderr.strip()[-300:]}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            wheel.extractall(unpacked)
    return unpacked


def test_legacy_client_from_pypi(server: EmbeddedServer, legacy_client: Path) -> None:
    script = Path(__file__).with_name("legacy_client_script.py")
    environment = {**os.environ, "PYTHONPATH": str(legacy_client)}
    done = subprocess.run(
        [sys.executable, "-B", str(script), str(server.port)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=legacy_client,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
