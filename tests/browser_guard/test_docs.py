"""The curl examples of docs/security.md, run command by command against a real server."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pretenders.server.embedded import EmbeddedServer

DOC = Path(__file__).parents[2] / "docs" / "security.md"


def examples() -> list[tuple[str, str]]:
    """(command, expected output) pairs: the comment line right below a command is its output."""
    block = re.search(r"<!-- curl-security.*?-->\s*```sh\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/security.md has no curl-security block"
    steps: list[tuple[str, str]] = []
    lines = block.group(1).splitlines()
    for line, below in zip(lines, [*lines[1:], ""], strict=True):
        if line.startswith("curl "):
            assert below.startswith("# "), f"no output shown below {line!r}"
            steps.append((line, below[2:]))
    return steps


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_examples(server: EmbeddedServer) -> None:
    steps = examples()
    assert len(steps) >= 7
    for command, expected in steps:
        command = command.replace("8000", str(server.port)).replace("localhost:", "127.0.0.1:")
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=10)
        assert done.returncode == 0, (command, done.stderr)
        assert done.stdout.strip() == expected, (command, done.stdout)
