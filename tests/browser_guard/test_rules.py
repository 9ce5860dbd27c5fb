"""The guard's rules in-process: which Host names are answered, which Origins are ours."""

from __future__ import annotations

import socket

import pytest

from pretenders.server.browser_guard import AllowedHosts, host_name, same_origin


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:8000", "localhost"),
        ("LocalHost", "localhost"),
        ("127.0.0.1:8000", "127.0.0.1"),
        ("[::1]:8000", "::1"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("Evil.Example.:80", "evil.example"),
    ],
)
def test_host_name_drops_port_brackets_case_and_final_dot(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    "name",
    ["localhost", "app.localhost", "127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "192.168.0.7"],
)
def test_loopback_names_and_ip_addresses_are_always_answered(name: str) -> None:
    assert AllowedHosts(()).allows(name)


@pytest.mark.parametrize(
    "name",
    ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "pretenders", "[::1]x.example"],
)
def test_other_names_are_not(name: str) -> None:
    assert not AllowedHosts(()).allows(host_name(name))


def test_allowed_names_the_bound_name_and_this_machine_s_name_are_answered() -> None:
    hosts = AllowedHosts(["Evil.Example", " ci-host:9000 "], bound="mocks.internal")

    assert hosts.allows("evil.example")
    assert hosts.allows("ci-host")
    assert hosts.allows("mocks.internal")
    assert hosts.allows(host_name(socket.gethostname()))
    assert not hosts.allows("other.example")


def test_a_star_answers_any_name() -> None:
    assert AllowedHosts(["*"]).allows("anything.example")


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://LOCALHOST:8000", "localhost:8000"),
        ("http://[::1]:8000", "[::1]:8000"),
        ("http://mocks.example", "mocks.example"),
        ("http://mocks.example", "mocks.example:80"),
        ("https://mocks.example", "mocks.example"),  # behind a proxy that ends TLS
    ],
)
def test_an_origin_of_the_same_name_and_port_is_ours(origin: str, host: str) -> None:
    assert same_origin(origin, host)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("null", "127.0.0.1:8000"),
        ("http://127.0.0.1:8001", "127.0.0.1:8000"),
        ("http://localhost:8000", "127.0.0.1:8000"),
        ("http://evil.example", "127.0.0.1:8000"),
        ("file://", "127.0.0.1:8000"),
        ("http://127.0.0.1:99999", "127.0.0.1:8000"),
        ("http://127.0.0.1:8000", ""),
    ],
)
def test_any_other_origin_is_not(origin: str, host: str) -> None:
    assert not same_origin(origin, host)
