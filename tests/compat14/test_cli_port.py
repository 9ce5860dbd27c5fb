"""``--port`` takes 0 to 65535 and refuses anything else, saying so (it used to wrap)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pretenders.server.server import parse_args


@pytest.mark.parametrize("port", ["-1", "65536", "99999", "eighty"])
def test_a_port_out_of_range_is_refused_by_the_cli(port: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pretenders.server.server", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert f"--port must be 0-65535, got {port}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("port", [0, 1, 8000, 65535])
def test_ports_in_range_are_taken(port: int) -> None:
    assert parse_args(["--port", str(port)]).port == port
