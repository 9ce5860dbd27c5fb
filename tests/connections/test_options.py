"""The connection options, from the command line to the settings."""

from __future__ import annotations

import pytest

from pretenders.server.server import parse_args, settings_from
from pretenders.server.settings import Settings


def test_defaults() -> None:
    settings = settings_from(parse_args([]))
    assert (settings.header_timeout, settings.keepalive_timeout) == (10.0, 15.0)
    assert settings.max_connections is None, "derived from the open-file limit at start-up"
    assert settings.shutdown_timeout == 10.0
    assert settings == Settings(admin_token=settings.admin_token)


def test_options_become_settings() -> None:
    args = [
        "--header-timeout",
        "2.5",
        "--keepalive-timeout",
        "30",
        "--max-connections",
        "500",
        "--shutdown-timeout",
        "0",
    ]
    settings = settings_from(parse_args(args))
    assert (
        settings.header_timeout,
        settings.keepalive_timeout,
        settings.max_connections,
        settings.shutdown_timeout,
    ) == (2.5, 30.0, 500, 0.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--header-timeout", "0"], "argument --header-timeout: must be more than 0 seconds"),
        (["--header-timeout", "soon"], "argument --header-timeout: expected seconds, got 'soon'"),
        (["--keepalive-timeout", "-1"], "argument --keepalive-timeout: must be more than 0"),
        (["--keepalive-timeout", "inf"], "argument --keepalive-timeout: must be more than 0"),
        (["--max-connections", "0"], "argument --max-connections: must be 1 or more, got 0"),
        (["--shutdown-timeout", "-1"], "argument --shutdown-timeout: must be 0 seconds or more"),
        (["--shutdown-timeout", "nan"], "argument --shutdown-timeout: must be 0 seconds or more"),
    ],
)
def test_bad_values_are_refused(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(args)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
