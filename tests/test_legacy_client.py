"""The pretenders 1.4.5 client, as published on PyPI, works against this server unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.legacy14 import legacy_client, run_legacy

pytestmark = pytest.mark.deployments

__all__ = ["legacy_client"]  # the fixture, imported for pytest to find


def test_legacy_client_from_pypi(server: EmbeddedServer, legacy_client: Path) -> None:
    script = Path(__file__).with_name("legacy_client_script.py")
    done = run_legacy(legacy_client, script, str(server.port))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
