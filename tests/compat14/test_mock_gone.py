"""A preset for a mock that is gone raises an error 1.4 code catches, and so does new code.

1.4 raised ``ConfigurationError`` for any refused preset; the natural error now is
``ResourceNotFound``. ``MockGone`` is both.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock, AsyncSMTPMock
from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import ConfigurationError, MockGone, ResourceNotFound
from pretenders.server.embedded import EmbeddedServer


def test_mock_gone_is_both_1_4_errors() -> None:
    assert issubclass(MockGone, ConfigurationError)
    assert issubclass(MockGone, ResourceNotFound)


@pytest.mark.parametrize("caught", [ConfigurationError, ResourceNotFound])
def test_a_deleted_http_mock_refuses_presets(
    make_mock: Callable[..., HTTPMock], caught: type[Exception]
) -> None:
    mock = make_mock()
    mock.delete_mock()
    with pytest.raises(caught) as refused:
        mock.when("GET /").reply("too late")
    assert isinstance(refused.value, MockGone)
    assert f"No matching http mock: {mock.pretend_access_point_id}" in str(refused.value)
    assert "deleted, or timed out" in str(refused.value)


def wait_until_gone(admin: httpx.Client, path: str, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while admin.get(path).status_code != 404:
        assert time.monotonic() < deadline, f"{path} did not expire"
        time.sleep(0.05)


def test_an_expired_http_mock_refuses_presets(
    make_mock: Callable[..., HTTPMock], admin: httpx.Client
) -> None:
    mock = make_mock(timeout=0.2)
    wait_until_gone(admin, f"/http/{mock.pretend_access_point_id}")
    with pytest.raises(ConfigurationError) as refused:
        mock.reply("too late")
    assert isinstance(refused.value, ResourceNotFound)


def test_a_deleted_smtp_mock_refuses_scripted_replies(make_smtp: Callable[..., SMTPMock]) -> None:
    smtp = make_smtp()
    smtp.delete_mock()
    with pytest.raises(ConfigurationError) as refused:
        smtp.when(rcpt="bob@.*").reply(550, "No such user")
    assert isinstance(refused.value, ResourceNotFound)


def test_other_refusals_stay_configuration_errors_only(mock: HTTPMock) -> None:
    with pytest.raises(ConfigurationError) as refused:
        mock.when("GET /(bad").reply("x")
    assert not isinstance(refused.value, ResourceNotFound)


def test_the_async_clients_raise_it_too(server: EmbeddedServer) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock:
            await mock.delete_mock()
            with pytest.raises(ConfigurationError) as refused:
                await mock.when("GET /").reply("too late")
            assert isinstance(refused.value, MockGone)
        async with AsyncSMTPMock(server.host, server.port) as smtp:
            await smtp.delete_mock()
            with pytest.raises(ResourceNotFound) as gone:
                await smtp.when("data").reply(554)
            assert isinstance(gone.value, ConfigurationError)

    asyncio.run(scenario())
