"""Code written for 1.4 runs unchanged on the 1.4.5 client from PyPI and on ours.

The same script (``code_written_for_1_4.py``) covers the points where this server used to
differ: APIHelper fake clients, preset headers listed as given, the default Content-Type
on the wire, ConfigurationError for a gone mock, and the SMTP peer as ``[address, port]``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pretenders import __version__
from pretenders.server.embedded import EmbeddedServer
from tests.legacy14 import legacy_client, run_legacy

pytestmark = pytest.mark.deployments

__all__ = ["legacy_client"]  # the fixture, imported for pytest to find

SCRIPT = Path(__file__).with_name("code_written_for_1_4.py")


def test_with_the_1_4_5_client(server: EmbeddedServer, legacy_client: Path) -> None:
    done = run_legacy(legacy_client, SCRIPT, str(server.port), "1.4.5")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_with_our_client(server: EmbeddedServer) -> None:
    done = subprocess.run(
        [sys.executable, "-B", str(SCRIPT), str(server.port), __version__],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
