"""The curl examples of docs/diagnostics.md, run command by command against a real server."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pretenders.server.embedded import EmbeddedServer

DOC = Path(__file__).parents[1] / "docs" / "diagnostics.md"


def examples() -> list[tuple[str, str]]:
    """(command, expected output) pairs: the comment lines right below a command are its output."""
    block = re.search(r"<!-- curl-diagnostics.*?-->\s*```sh\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/diagnostics.md has no curl-diagnostics block"
    steps: list[tuple[str, list[str]]] = []
    below_command = False
    for line in block.group(1).splitlines():
        if line.startswith("curl "):
            steps.append((line, []))
            below_command = True
        elif below_command and line.startswith("# "):
            steps[-1][1].append(line[2:])
        else:
            below_command = False
    return [(command, "\n".join(expected)) for command, expected in steps]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_examples(server: EmbeddedServer) -> None:
    steps = examples()
    assert len(steps) >= 15
    for command, expected in steps:
        command = command.replace("localhost:8000", f"{server.host}:{server.port}")
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=10)
        assert done.returncode == 0, (command, done.stderr)
        if expected.endswith("..."):
            assert done.stdout.startswith(expected[:-3]), (command, done.stdout)
        else:
            assert done.stdout.strip() == expected, (command, done.stdout)
