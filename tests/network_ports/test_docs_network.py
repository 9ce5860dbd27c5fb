"""The examples of docs/network.md, each run as a program against a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deployments.matrix import Deployed

DOC = Path(__file__).parents[2] / "docs" / "network.md"


def examples() -> list[str]:
    """The Python blocks marked ``<!-- network-example -->``, in order."""
    return re.findall(r"<!-- network-example -->\s*```python\n(.*?)```", DOC.read_text(), re.S)


def test_every_section_has_its_example() -> None:
    assert len(examples()) == 6


@pytest.mark.parametrize("number", range(6))
def test_the_example_runs(number: int, server: Deployed, tmp_path: Path) -> None:
    code = examples()[number]
    code = code.replace('"localhost", 8000', f'"{server.host}", {server.port}')
    code = code.replace("localhost:8000", f"{server.host}:{server.port}")
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_DIR")
    }
    program = tmp_path / "example.py"
    program.write_text(code)
    done = subprocess.run(
        [sys.executable, str(program)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
