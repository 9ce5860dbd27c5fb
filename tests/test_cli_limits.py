"""The limit and token options, run as a user runs them: a real process on a real port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from pretenders.server.server import parse_args, settings_from
from tests.test_cli import answers, free_port
from tests.waiting import wait_until

WARNING = "without an admin token: anyone who can reach this port can create, change and delete"


def without_token() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "PRETENDERS_ADMIN_TOKEN"}


@pytest.fixture
def run_server() -> Iterator[object]:
    """Start the server with ARGS, wait for /health, stop it with SIGTERM; its stderr."""
    started: list[subprocess.Popen[str]] = []

    def run(*args: str, env: dict[str, str] | None = None) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "pretenders.server.server", "--port", str(port), *args],
            stderr=subprocess.PIPE,
            text=True,
            env={**without_token(), **(env or {})},
        )
        started.append(process)
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/health"), timeout=15)
        # Still running: the warning is written at start-up, before /health answers.
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
        return stderr

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


@pytest.mark.slow
def test_all_interfaces_without_a_token_prints_a_warning(run_server) -> None:  # type: ignore[no-untyped-def]
    stderr = run_server("--host")
    assert "WARNING pretenders.server: listening on 0.0.0.0 port" in stderr
    assert WARNING in stderr
    assert "Set a token with --admin-token TOKEN or the PRETENDERS_ADMIN_TOKEN" in stderr


@pytest.mark.slow
def test_no_warning_with_a_token_or_on_loopback(run_server) -> None:  # type: ignore[no-untyped-def]
    assert WARNING not in run_server("--host", "0.0.0.0", "--admin-token", "t")
    assert WARNING not in run_server("--host", "0.0.0.0", env={"PRETENDERS_ADMIN_TOKEN": "t"})
    assert WARNING not in run_server()


@pytest.mark.slow
def test_the_token_from_the_environment_protects_the_admin_api() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pretenders.server.server", "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env={**without_token(), "PRETENDERS_ADMIN_TOKEN": "from-env"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(f"{base}/health"), timeout=15)
        assert httpx.get(f"{base}/http").status_code == 401
        ok = httpx.get(f"{base}/http", headers={"Authorization": "Bearer from-env"})
        assert ok.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def test_options_become_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRETENDERS_ADMIN_TOKEN", raising=False)
    defaults = settings_from(parse_args([]))
    assert (defaults.history_limit, defaults.max_body_size, defaults.max_mocks) == (
        250_000,
        16 * 1024 * 1024,
        10_000,
    )
    assert defaults.admin_token is None
    given = settings_from(
        parse_args(
            [
                "--history-limit",
                "5",
                "--max-body-size",
                "100",
                "--max-mocks",
                "7",
                "--admin-token",
                "abc",
            ]
        )
    )
    assert (given.history_limit, given.max_body_size, given.max_mocks, given.admin_token) == (
        5,
        100,
        7,
        "abc",
    )
    monkeypatch.setenv("PRETENDERS_ADMIN_TOKEN", "")
    assert settings_from(parse_args([])).admin_token is None, "an empty token is no token"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--history-limit", "-1"], "argument --history-limit: must be 0 or more, got -1"),
        (["--max-mocks", "0"], "argument --max-mocks: must be 1 or more, got 0"),
        (["--max-body-size", "lots"], "argument --max-body-size: expected a whole number"),
    ],
)
def test_bad_limits_are_refused(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(args)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
