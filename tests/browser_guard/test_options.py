"""--allowed-host and PRETENDERS_ALLOWED_HOSTS, as the command line and a server take them."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from pretenders.common.wire_names import TOKEN_VARIABLE
from pretenders.server.browser_guard import ALLOWED_HOSTS_VARIABLE, AllowedHosts, answered_names
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.server import parse_args, settings_from
from tests.waiting import wait_until


def test_the_option_repeats_and_adds_to_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWED_HOSTS_VARIABLE, " ci-host , pretenders,")
    arguments = parse_args(["--allowed-host", "my.local.server", "--allowed-host", "pretenders"])

    assert settings_from(arguments).allowed_hosts == ("ci-host", "pretenders", "my.local.server")


def test_by_default_no_name_is_added(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOWED_HOSTS_VARIABLE, raising=False)

    assert settings_from(parse_args([])).allowed_hosts == ()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def on_all_interfaces() -> Iterator[int]:
    """The seed's way: ``--host`` alone (every interface), reached by a name of the network."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != TOKEN_VARIABLE}
    command = [sys.executable, "-m", "pretenders.server.server", "--host", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--allowed-host", "my.local.server"],
        env={**environment, ALLOWED_HOSTS_VARIABLE: "ci-host.example"},
        stderr=subprocess.PIPE,
        text=True,
    )

    def up() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, timeout=20, interval=0.1)
        yield port
    finally:
        process.terminate()
        process.communicate(timeout=15)


@pytest.mark.parametrize("name", ["my.local.server", "ci-host.example", "127.0.0.1", "localhost"])
def test_a_server_on_all_interfaces_answers_the_names_it_was_given(
    on_all_interfaces: int, name: str
) -> None:
    port = on_all_interfaces
    headers = {"Host": f"{name}:{port}"}

    created = httpx.post(f"http://127.0.0.1:{port}/http", json={}, headers=headers)

    assert created.status_code == 200, created.text
    mock_id = created.json()["id"]
    assert httpx.delete(f"http://127.0.0.1:{port}/http/{mock_id}", headers=headers).is_success


def test_and_refuses_any_other_name_saying_how_to_allow_it(on_all_interfaces: int) -> None:
    port = on_all_interfaces
    refused = httpx.get(f"http://127.0.0.1:{port}/http", headers={"Host": "other.example"})

    assert refused.status_code == 403
    assert "--allowed-host other.example" in refused.json()["errors"][0]["message"]


def test_listening_beyond_loopback_the_log_says_which_names_are_answered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="pretenders.server")
    with EmbeddedServer(host="0.0.0.0", admin_token="t", allowed_hosts=("my.local.server",)):
        pass

    [said] = [r.message for r in caplog.records if "answer to IP addresses" in r.message]
    assert "my.local.server" in said
    assert "--allowed-host NAME" in said


def test_a_star_is_said_as_any_name() -> None:
    assert "any name" in answered_names(AllowedHosts(["*"]))
