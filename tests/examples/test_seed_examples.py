"""Each example of the seed and the README, run as a script, as a user would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent


@pytest.mark.usefixtures("seed_server")
@pytest.mark.parametrize("script", ["seed_http_mock.py", "seed_remote_app.py", "seed_smtp_mock.py"])
def test_example_runs_as_written(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(": ok")


def test_unittest_example_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "unittest", "-v", "unittest_example"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=EXAMPLES,
    )
    assert done.returncode == 0, done.stderr
    assert "Ran 1 test" in done.stderr
