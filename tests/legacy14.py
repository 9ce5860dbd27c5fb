"""The pretenders 1.4.5 client from PyPI, to run 1.4 code against this server in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

LEGACY = "pretenders==1.4.5"


@pytest.fixture(scope="session")
def legacy_client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 1.4.5 wheel from PyPI, unpacked (cached between runs when pytest's cache is on)."""
    cache_plugin = getattr(request.config, "cache", None)
    if cache_plugin is not None:
        cache = Path(cache_plugin.mkdir("pretenders-1.4.5"))
    else:
        cache = tmp_path_factory.mktemp("pretenders-1.4.5")
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


def run_legacy(
    legacy_client: Path, script: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with the 1.4.5 package first on the path (and this one nowhere)."""
    environment = {**os.environ, "PYTHONPATH": str(legacy_client)}
    return subprocess.run(
        [sys.executable, "-B", str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        cwd=legacy_client,
    )
