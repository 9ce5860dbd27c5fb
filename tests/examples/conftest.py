"""The seed's examples talk to localhost:8000, as written: make sure a server is there."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.waiting import wait_until

SEED_PORT = 8000


def pretenders_answers() -> bool:
    try:
        return isinstance(httpx.get(f"http://127.0.0.1:{SEED_PORT}/http", timeout=1).json(), list)
    except (httpx.TransportError, ValueError):
        return False


def port_taken() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", SEED_PORT)) == 0


@pytest.fixture(scope="session")
def seed_server() -> Iterator[None]:
    """Use the pretenders server on port 8000, starting one (the README's way) if none runs."""
    if pretenders_answers():
        yield
        return
    if port_taken():
        pytest.fail(
            f"port {SEED_PORT} is taken by something that is not a pretenders server; the seed "
            "examples run as written against localhost:8000: free that port and run again"
        )
    process = subprocess.Popen(
        [sys.executable, "-m", "pretenders.server.server", "--port", str(SEED_PORT)],
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(pretenders_answers, timeout=15)
        yield
    finally:
        process.terminate()
        process.communicate(timeout=10)
