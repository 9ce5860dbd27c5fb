"""``--load``: mocks from a file at start-up, and clear refusals of bad files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.loader import LoadError
from pretenders.server.settings import Settings

EXAMPLE = Path(__file__).parents[1] / "examples" / "mocks.yaml"


def start_with(*files: Path) -> EmbeddedServer:
    return EmbeddedServer(Settings(port=0, load=tuple(str(f) for f in files))).start()


def test_the_shipped_example_is_served_at_once() -> None:
    with start_with(EXAMPLE) as server, httpx.Client(base_url=server.url) as client:
        today = client.get("/mockhttp/weather/today")
        assert today.json() == {"sky": "clear", "temperature": 23}
        assert today.headers["content-type"] == "application/json"
        alert = client.post(
            "/mockhttp/weather/alerts",
            headers={"X-Api-Key": "secret"},
            content=b'{"level": "severe"}',
        )
        assert (alert.status_code, alert.text) == (201, "created")
        assert client.get("/http/weather").json()["timeout"] == "FOREVER"
        mailer = client.get("/preset/mailer").json()
        assert mailer[0]["stage"] == "rcpt"
        assert client.get("/smtp/mailer").status_code == 200


def test_json_files_and_several_files(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    first.write_text('{"mocks": [{"name": "a", "presets": [{"rule": "GET /x", "body": "A"}]}]}')
    second = tmp_path / "b.yaml"
    second.write_text("mocks:\n  - name: b\n    presets:\n      - {body_base64: AAEC}\n")
    with start_with(first, second) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/mockhttp/a/x").text == "A"
        assert client.get("/mockhttp/b/anything").content == b"\x00\x01\x02"


BAD_FILES = {
    "bad regex": (
        "mocks:\n  - name: svc\n    presets:\n      - {rule: 'GET /(x', body: hi}\n",
        "mock 'svc', preset #1: rule.rule: invalid regular expression 'GET /(x'",
    ),
    "unknown field": (
        "mocks:\n  - name: svc\n    presets:\n      - {rule: GET /, tiems: 3}\n",
        "mock 'svc', preset #1: Object contains unknown field `tiems`",
    ),
    "unknown mock field": (
        "mocks:\n  - name: svc\n    protcol: smtp\n",
        "mock 'svc': Object contains unknown field `protcol`",
    ),
    "missing name": (
        "mocks:\n  - presets: []\n",
        "mock #1: Object missing required field `name`",
    ),
    "bad times": (
        "mocks:\n  - name: svc\n    presets:\n      - {rule: GET /, times: 0}\n",
        "mock 'svc', preset #1: times must be a positive integer",
    ),
    "bad smtp stage": (
        "mocks:\n  - name: m\n    protocol: smtp\n"
        "    presets:\n      - {stage: quit, status: 550}\n",
        "mock 'm', preset #1: stage must be one of",
    ),
    "not YAML": ("mocks: [unclosed\n", "not valid YAML"),
    "no mocks list": ("{}\n", "Object missing required field `mocks`"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_stops_start_up_naming_file_mock_and_field(tmp_path: Path, case: str) -> None:
    text, expected = BAD_FILES[case]
    path = tmp_path / "mocks.yaml"
    path.write_text(text)
    with pytest.raises(LoadError) as refused:
        start_with(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert expected in str(refused.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read the file"):
        start_with(tmp_path / "nowhere.yaml")


def test_cli_refuses_a_bad_file_with_its_message(tmp_path: Path) -> None:
    path = tmp_path / "mocks.yaml"
    path.write_text(BAD_FILES["bad regex"][0])
    done = subprocess.run(
        [sys.executable, "-m", "pretenders.server.server", "--port", "0", "--load", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert BAD_FILES["bad regex"][1] in done.stderr
    assert "Traceback" not in done.stderr
