"""Programs send no Origin nor Sec-Fetch-Site: curl, a bare socket and our clients still work."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock
from pretenders.client.http import HTTPMock
from pretenders.common.constants import FOREVER
from pretenders.server.embedded import EmbeddedServer
from tests.raw_socket import exchange


def curl(*arguments: str) -> str:
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", *arguments],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_without_extra_headers_drives_the_admin_api(server: EmbeddedServer) -> None:
    created = json.loads(curl("-X", "POST", f"{server.url}/http", "-d", '{"name": "by-curl"}'))
    preset = '{"rule": "GET /hi", "body": "aGk=", "times": "FOREVER"}'
    curl(f"{server.url}/preset/by-curl", "-d", preset)

    reply = curl(f"{server.url}{created['path']}/hi")
    history = json.loads(curl(f"{server.url}/history/by-curl"))
    curl("-X", "DELETE", f"{server.url}/http/by-curl")

    assert reply == "hi"
    assert [record["url"] for record in history] == ["/hi"]


def test_a_bare_request_without_a_host_header_is_answered(server: EmbeddedServer) -> None:
    answer = exchange(server.port, b"GET /http HTTP/1.0\r\n\r\n")

    assert answer.split(b"\r\n", 1)[0].endswith(b" 200 OK"), answer[:200]


def test_the_sync_client_works_unchanged(server: EmbeddedServer) -> None:
    mock = HTTPMock(server.host, server.port, name="sync-client")
    try:
        mock.when("GET /hi").reply(b"hi", times=FOREVER)
        assert httpx.get(mock.pretend_url + "/hi").text == "hi"
        assert [request.url for request in mock.get_request()] == ["/hi"]
        mock.delete_mock()
    finally:
        mock.close()


def test_the_async_client_works_unchanged(server: EmbeddedServer) -> None:
    async def scenario() -> list[str]:
        async with AsyncHTTPMock(server.host, server.port, name="async-client") as mock:
            await mock.when("GET /hi").reply(b"hi", times=FOREVER)
            async with httpx.AsyncClient() as http:
                assert (await http.get(mock.pretend_url + "/hi")).text == "hi"
            urls = [request.url for request in await mock.get_request()]
            await mock.delete_mock()
            return urls

    assert asyncio.run(scenario()) == ["/hi"]
