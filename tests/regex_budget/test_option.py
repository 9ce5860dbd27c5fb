"""``--regex-timeout``: parsed, checked, and carried to every place that compiles a regex."""

from __future__ import annotations

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.server import parse_args, settings_from
from pretenders.server.settings import DEFAULT_REGEX_TIMEOUT


def test_the_option_becomes_the_setting() -> None:
    assert DEFAULT_REGEX_TIMEOUT == 0.05
    assert settings_from(parse_args([])).regex_timeout == 0.05
    assert settings_from(parse_args(["--regex-timeout", "0.2"])).regex_timeout == 0.2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "argument --regex-timeout: must be more than 0 seconds, got 0"),
        ("-1", "argument --regex-timeout: must be more than 0 seconds, got -1"),
        ("nan", "argument --regex-timeout: must be more than 0 seconds, got nan"),
        ("inf", "argument --regex-timeout: must be more than 0 seconds, got inf"),
        ("soon", "argument --regex-timeout: expected seconds, got 'soon'"),
    ],
)
def test_a_bad_value_is_refused(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(["--regex-timeout", value])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_the_embedded_server_applies_its_budget_to_presets_filters_and_scripts() -> None:
    trips = "a" * 30 + "!"
    with EmbeddedServer(regex_timeout=0.002) as server, httpx.Client(base_url=server.url) as admin:
        mock_id = admin.post("/http", json={}).json()["id"]
        preset = {"rule": "GET /(a|aa)+$", "times": "FOREVER"}
        assert admin.post(f"/preset/{mock_id}", json=preset).status_code == 200
        missed = admin.get(f"/mockhttp/{mock_id}/{trips}")
        assert "gave up after 2 ms on this request (--regex-timeout)" in missed.text
        counted = admin.post(f"/count/{mock_id}", json={"body": "", "rule": "GET /(a|aa)+$"})
        assert "gave up after 2 ms on a recorded request" in counted.json()["errors"][0]["message"]
        listed = admin.get(f"/history/{mock_id}", params={"url": "(a|aa)+$"})
        assert "gave up after 2 ms" in listed.json()["errors"][0]["message"]
