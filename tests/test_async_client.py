"""The async clients against a real server, mirroring the sync client's main paths."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock, AsyncSMTPMock
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import (
    ConfigurationError,
    ResourceNotFound,
    ServerUnreachable,
    VerificationError,
    WaitTimeout,
)
from pretenders.server.embedded import EmbeddedServer

pytestmark = pytest.mark.deployments

T = TypeVar("T")


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(scenario())  # type: ignore[arg-type]


def test_reply_get_request_reset_and_delete(server: EmbeddedServer) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock, httpx.AsyncClient() as http:
            await mock.when("POST /orders", body=".*qty").reply(b"created", status=201)
            await mock.reply("anything", times=FOREVER)
            created = await http.post(mock.pretend_url + "/orders", content=b'{"qty": 2}')
            assert (created.status_code, created.content) == (201, b"created")
            assert (await http.get(mock.pretend_url + "/x?y=1")).text == "anything"
            first = await mock.get_request(0)
            assert first is not None
            assert (first.method, first.url, first.body) == ("POST", "/orders", b'{"qty": 2}')
            assert [r.url for r in await mock.get_request()] == ["/orders", "/x?y=1"]
            assert await mock.get_request(5) is None
            await mock.reset()
            assert await mock.get_request() == []
            model = await mock.get_pretender()
            assert model.name == mock.pretend_access_point_id
            await mock.delete_mock()
            with pytest.raises(ResourceNotFound):
                await mock.get_pretender()

    run(scenario)


def test_create_join_by_name_and_timeout(server: EmbeddedServer) -> None:
    async def scenario() -> None:
        first = await AsyncHTTPMock.create(server.host, server.port, timeout=7, name="async-svc")
        second = await AsyncHTTPMock.create(server.host, server.port, name="async-svc")
        try:
            assert first.pretend_url == second.pretend_url
            assert first.pretend_url.endswith("/mockhttp/async-svc")
            assert (await second.get_pretender()).timeout.total_seconds() == 7  # type: ignore[union-attr]
        finally:
            await first.delete_mock()
            await first.aclose()
            await second.aclose()

    run(scenario)


def test_bad_presets_raise_configuration_errors(server: EmbeddedServer) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock:
            with pytest.raises(ConfigurationError, match="invalid regular expression"):
                await mock.when("GET /(").reply("x")
            with pytest.raises(ConfigurationError, match="times must be a positive integer"):
                await mock.when("GET /x").reply("x", times=0)
            await mock.delete_mock()

    run(scenario)


def test_verification_and_assertions(server: EmbeddedServer) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock, httpx.AsyncClient() as http:
            await mock.when("GET /a").reply("a", times=2)
            await http.get(mock.pretend_url + "/a")
            await http.get(mock.pretend_url + "/b")
            assert await mock.count("GET /a") == 1
            await mock.assert_called("GET /a", times=1)
            with pytest.raises(VerificationError, match="expected 2 requests"):
                await mock.assert_called("GET /a", times=2)
            assert [r.url for r in await mock.unmatched_requests()] == ["/b"]
            with pytest.raises(VerificationError, match="1 request matched no preset"):
                await mock.assert_no_unmatched()
            assert len(await mock.unused_presets()) == 1
            with pytest.raises(VerificationError, match="1 preset not used up"):
                await mock.assert_no_unused_presets()
            await mock.delete_mock()

    run(scenario)


def test_wait_for_request_returns_when_it_arrives_or_times_out(server: EmbeddedServer) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock, httpx.AsyncClient() as http:
            waiting = asyncio.create_task(mock.wait_for_request("POST /hook", timeout=10))
            await asyncio.sleep(0.2)  # the wait is registered before the request is sent
            await http.post(mock.pretend_url + "/hook")
            (seen,) = await asyncio.wait_for(waiting, 5)
            assert seen.url == "/hook"
            with pytest.raises(WaitTimeout, match="waiting for 1 request"):
                await mock.wait_for_request("GET /never", timeout=0.2)
            await mock.delete_mock()

    run(scenario)


def test_smtp_mail_scripted_replies_and_wait(server: EmbeddedServer) -> None:
    def send(port: int, to: str, subject: str) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("a@example.com", [to], f"Subject: {subject}\r\n\r\nbody")

    async def scenario() -> None:
        async with AsyncSMTPMock(server.host, server.port) as smtp:
            await smtp.when(rcpt="bob@.*").reply(550, "No such user")
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                await asyncio.to_thread(send, smtp.pretend_port, "bob@example.com", "x")
            sender = threading.Thread(target=send, args=(smtp.pretend_port, "eve@x.org", "hi"))
            waiting = asyncio.create_task(smtp.wait_for_email(to="eve@", timeout=10))
            await asyncio.sleep(0.2)
            sender.start()
            (mail,) = await asyncio.wait_for(waiting, 5)
            sender.join(5)
            assert mail.subject == "hi"
            assert (await smtp.get_email(0)).rcpt_tos == ["eve@x.org"]  # type: ignore[union-attr]
            assert len(await smtp.get_emails()) == 1
            assert await smtp.get_email(1) is None
            await smtp.when("data").disconnect()
            await smtp.reset()
            assert await smtp.get_emails() == []
            await smtp.delete_mock()

    run(scenario)


def test_not_created_yet_and_unreachable_server(server: EmbeddedServer) -> None:
    async def scenario() -> None:
        mock = AsyncHTTPMock(server.host, server.port)
        with pytest.raises(RuntimeError, match="async with AsyncHTTPMock"):
            await mock.get_request()
        await mock.aclose()
        with pytest.raises(ServerUnreachable, match="cannot reach the pretenders server"):
            await AsyncHTTPMock.create("127.0.0.1", 1)

    run(scenario)
