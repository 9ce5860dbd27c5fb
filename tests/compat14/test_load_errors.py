"""``--load`` reports every mistake of its files in one run, and creates nothing then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.loader import LoadError
from pretenders.server.settings import Settings

THREE_MISTAKES = """\
mocks:
  - name: weather
    presets:
      - {rule: 'GET /(today', body: sunny}
      - {rule: GET /tomorrow, times: 0}
  - name: mailer
    protocol: smtp
    presets:
      - {stage: quit, status: 550}
"""


def test_the_cli_lists_all_three_mistakes_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "mocks.yaml"
    path.write_text(THREE_MISTAKES)
    done = subprocess.run(
        [sys.executable, "-m", "pretenders.server.server", "--port", "0", "--load", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert f"{path}: 3 mistakes" in done.stderr
    for expected in (
        f"{path}: mock 'weather', preset #1: rule.rule: invalid regular expression",
        f"{path}: mock 'weather', preset #2: times must be a positive integer",
        f"{path}: mock 'mailer', preset #1: stage must be one of",
    ):
        assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_mistakes_in_mocks_and_in_several_files_come_together(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text(
        "mocks:\n  - name: a\n    timeout: -1\n  - name: 'b/c'\n    timeout: 0\n"
        "  - name: x\n    tiemout: 5\n  - name: a\n    protocol: smtp\n"
    )
    second = tmp_path / "b.json"
    second.write_text('{"mocks": [{"name": "d", "presets": [{"status": 42}]}]}')
    with pytest.raises(LoadError) as refused:
        EmbeddedServer(Settings(port=0, load=(str(first), str(second)))).start()
    lines = str(refused.value).splitlines()
    assert lines[0] == f"{first}: 5 mistakes:"
    assert lines[1].startswith(f"{first}: mock 'a': timeout must be a number of seconds >= 0.1")
    assert lines[2].startswith(f"{first}: mock 'b/c': name 'b/c' may not contain '/'")
    assert lines[3].startswith(f"{first}: mock 'b/c': timeout must be a number of seconds >= 0.1")
    assert lines[4] == f"{first}: mock 'x': Object contains unknown field `tiemout`"
    assert lines[5] == f"{first}: mock 'a': name 'a' is taken by an HTTP mock"
    assert lines[6].startswith(f"{second}: mock 'd', preset #1: status must be between 100")
    assert len(lines) == 7


def test_a_bad_file_after_a_good_one_still_stops_start_up(tmp_path: Path) -> None:
    good_then_bad = tmp_path / "mocks.yaml"
    good_then_bad.write_text(
        "mocks:\n  - name: early\n  - name: late\n    presets:\n      - {rule: 'GET /(x'}\n"
    )
    good = tmp_path / "good.yaml"
    good.write_text("mocks:\n  - name: fine\n    timeout: FOREVER\n")
    with pytest.raises(LoadError, match="mock 'late', preset #1"):
        EmbeddedServer(Settings(port=0, load=(str(good), str(good_then_bad)))).start()
