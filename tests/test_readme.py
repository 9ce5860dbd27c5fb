"""The README's curl walkthrough, run command by command against a real server."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pretenders.server.embedded import EmbeddedServer

README = Path(__file__).parents[1] / "README.md"


def walkthrough() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) pairs from the README's curl block."""
    text = README.read_text()
    block = re.search(r"<!-- curl-walkthrough.*?-->\s*```sh\n(.*?)```", text, re.S)
    assert block, "the README has no curl walkthrough block"
    steps: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("curl "):
            steps.append((line, []))
        elif line.startswith("# ") and steps and not line[2:3].isupper():
            steps[-1][1].append(line[2:])
    return steps


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_walkthrough(server: EmbeddedServer) -> None:
    steps = walkthrough()
    assert len(steps) >= 8
    for command, expected in steps:
        command = command.replace("localhost:8000", f"{server.host}:{server.port}")
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=10)
        assert done.returncode == 0, (command, done.stderr)
        for want in expected:
            if want.endswith("..."):
                assert done.stdout.startswith(want[:-3]), (command, done.stdout)
            else:
                assert done.stdout.strip() == want, (command, done.stdout)
