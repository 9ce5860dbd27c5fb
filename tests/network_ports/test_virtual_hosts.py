"""Virtual hosts: one mock answering for several names, told apart by ``host`` rules."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pretenders.client import matchers as m
from pretenders.client.http import HTTPMock
from pretenders.common.constants import FOREVER

pytestmark = pytest.mark.deployments


def test_one_own_port_mock_fakes_two_domains(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock(own_port=0, hosts=["api.example.com", "auth.example.com"])
    assert mock.pretender_details["hosts"] == ["api.example.com", "auth.example.com"]
    mock.when("GET /status", host="api.example.com").reply("api up", times=FOREVER)
    mock.when("GET /status", host="auth.example.com").reply("auth up", times=FOREVER)
    mock.when("GET /status", host=m.regex(r".*\.example\.org")).reply("org", times=FOREVER)

    def status(host: str) -> httpx.Response:
        return httpx.get(mock.pretend_url + "/status", headers={"Host": host})

    assert status("api.example.com").text == "api up"
    assert status("AUTH.example.com:8443").text == "auth up"  # any case, port stripped
    assert status("www.example.org").text == "org"
    missed = status("billing.example.com")
    assert missed.status_code == 404
    assert 'host: expected "api.example.com", got "billing.example.com"' in missed.text


def test_mockhttp_mocks_match_on_host_too(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock(hosts=["shop.example.com"])
    mock.when(host="shop.example.com").reply("shop", times=FOREVER)
    mock.when(host=m.absent()).reply("no host", times=FOREVER)
    answer = httpx.get(mock.pretend_url + "/cart", headers={"Host": "shop.example.com"})
    assert answer.text == "shop"
    assert mock.get_pretender().name == mock.pretend_access_point_id
    assert mock.count(host="shop.example.com") == 1


def test_an_ipv6_host_header_is_read_without_its_port(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock(own_port=0)
    mock.when(host="::1").reply("six", times=FOREVER)
    answer = httpx.get(mock.pretend_url + "/", headers={"Host": "[::1]:8080"})
    assert answer.text == "six"


def test_the_hosts_are_described(admin: httpx.Client) -> None:
    created = admin.post("/http", json={"hosts": ["A.example.com", "a.example.com"]}).json()
    try:
        assert created["hosts"] == ["a.example.com"]
        assert admin.get(f"/http/{created['id']}").json()["hosts"] == ["a.example.com"]
    finally:
        admin.delete(f"/http/{created['id']}")
