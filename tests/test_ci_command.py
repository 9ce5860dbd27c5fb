"""``.ci/run`` runs exactly the test command the README gives."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"Run the whole test suite.*?```sh\n(.*?)\n```", readme, re.S)
    assert found, "the README has no test command"
    command = found.group(1).strip()
    assert "\n" not in command, "the README's test command is not one line"
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_test_command_installs_what_the_tests_start() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    for program in ("chromium", "redis-server"):
        assert f"command -v {program} >/dev/null" in run, program
    assert "apt-get install -y chromium redis-server" in run
