"""Each rule field through the async client against a real server (as test_sync_client)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from pretenders.client import matchers as m
from pretenders.client.aio import AsyncHTTPMock
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import ConfigurationError, VerificationError
from pretenders.server.embedded import EmbeddedServer
from tests.rule_client.cases import CASES, Case, Request

pytestmark = pytest.mark.deployments


async def _send(http: httpx.AsyncClient, mock: AsyncHTTPMock, request: Request) -> httpx.Response:
    return await http.request(request.method, mock.pretend_url + request.path, **request.options)


@pytest.mark.parametrize("case", CASES)
def test_match_and_near_miss(server: EmbeddedServer, case: Case) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock:
            try:
                await mock.when(*case.args, **case.keywords).reply("hit", times=FOREVER)
                async with httpx.AsyncClient(timeout=10) as http:
                    hit = await _send(http, mock, case.hit)
                    miss = await _send(http, mock, case.miss)
                assert (hit.status_code, hit.text) == (200, "hit")
                assert miss.status_code == 404
                assert case.field in miss.text
                (unmatched,) = await mock.unmatched_requests()
                fields = [d.field for d in unmatched.near_misses[0].differences]
                assert any(name.startswith(case.field) for name in fields), fields
                assert await mock.count(*case.args, **case.keywords) == 1
                await mock.assert_called(*case.args, **{"times": 1, **case.keywords})
                waited = await mock.wait_for_request(*case.args, **{"timeout": 1, **case.keywords})
                assert len(waited) == 1
            finally:
                await mock.delete_mock()

    asyncio.run(scenario())


def test_keywords_in_filters_and_refusals(server: EmbeddedServer) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(server.host, server.port) as mock:
            try:
                await mock.when(method="GET", path="/users/{id}").reply("Ann", times=FOREVER)
                async with httpx.AsyncClient(timeout=10) as http:
                    answer = await http.get(mock.pretend_url + "/users/7?page=1")
                assert answer.text == "Ann"
                assert await mock.count("GET /users/{id}") == 0  # a 1.4 regex: {id} literally
                with pytest.raises(
                    VerificationError, match=r"query \{'page': \{'absent': True\}\}"
                ):
                    await mock.assert_called(query={"page": m.absent()})
                with pytest.raises(ConfigurationError, match="path_params"):
                    await mock.when(path="/u/{id}", path_params={"x": "1"}).reply("x")
            finally:
                await mock.delete_mock()

    asyncio.run(scenario())
